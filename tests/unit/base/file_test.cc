#include "base/file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace kube9::base {
namespace {

TEST(ReadFileTest, WholeContentOrTheReason) {
  const std::string dir = ::testing::TempDir() + "/kube9-file-test-" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  const std::string big(100'000, 'x');  // several reads
  std::ofstream(dir + "/f", std::ios::binary) << big << "\n";
  auto content = ReadFile(dir + "/f");
  ASSERT_TRUE(content.ok());
  EXPECT_EQ(*content, big + "\n");
  EXPECT_EQ(ReadFile(dir + "/missing").error(), "No such file or directory");
  EXPECT_EQ(ReadFile(dir).error(), "Is a directory");
  std::filesystem::remove_all(dir);
}

TEST(ReadFileTest, AtMostMaxBytesEvenFromAnEndlessFile) {
  const std::string dir = ::testing::TempDir() + "/kube9-file-limit-" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/f", std::ios::binary) << std::string(100'000, 'x');
  EXPECT_TRUE(ReadFile(dir + "/f", 100'000).ok());
  EXPECT_EQ(ReadFile(dir + "/f", 99'999).error(), "is larger than 99999 bytes");
  EXPECT_EQ(ReadFile("/dev/zero", 1 << 20).error(), "is larger than 1 MiB");
  std::filesystem::remove_all(dir);
}

TEST(ReadFileTest, RegularOnlyRefusesDirectoriesFifosAndDevicesWithoutBlocking) {
  const std::string dir = ::testing::TempDir() + "/kube9-file-kind-" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/f", std::ios::binary) << "tls_server_config: {}\n";
  ASSERT_EQ(::mkfifo((dir + "/fifo").c_str(), 0600), 0);
  EXPECT_EQ(*ReadFile(dir + "/f", 1 << 20, FileKind::kRegular), "tls_server_config: {}\n");
  EXPECT_EQ(ReadFile(dir, 1 << 20, FileKind::kRegular).error(), "is not a regular file");
  EXPECT_EQ(ReadFile(dir + "/fifo", 1 << 20, FileKind::kRegular).error(), "is not a regular file");  // no writer
  EXPECT_EQ(ReadFile("/dev/zero", 1 << 20, FileKind::kRegular).error(), "is not a regular file");
  EXPECT_EQ(ReadFile(dir + "/missing", 1 << 20, FileKind::kRegular).error(), "No such file or directory");
  std::filesystem::remove_all(dir);
}

TEST(TrimWhitespaceTest, BothEnds) {
  EXPECT_EQ(TrimWhitespace("  tok3n\r\n"), "tok3n");
  EXPECT_EQ(TrimWhitespace("a b"), "a b");
  EXPECT_EQ(TrimWhitespace(" \n\t"), "");
  EXPECT_EQ(TrimWhitespace(""), "");
}

}  // namespace
}  // namespace kube9::base
