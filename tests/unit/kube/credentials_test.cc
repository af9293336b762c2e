#include "kube/credentials.h"

#include <signal.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace kube9::kube {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

class CredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("kube9-cred-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& content, bool exec = false) {
    std::ofstream(dir_ / name) << content;
    if (exec) chmod((dir_ / name).c_str(), 0755);
    return (dir_ / name).string();
  }
  int Invocations() {
    std::ifstream in(dir_ / "calls");
    return static_cast<int>(std::count(std::istreambuf_iterator<char>(in), {}, '\n'));
  }
  // A plugin that counts its calls and prints a token expiring at `expiry`.
  std::string Plugin(const std::string& expiry) {
    return Write("plugin.sh",
                 "#!/bin/sh\necho call >> '" + (dir_ / "calls").string() + "'\n"
                 "echo \"$KUBERNETES_EXEC_INFO\" > '" + (dir_ / "info").string() + "'\n"
                 "cat <<JSON\n{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
                 "\"status\":{\"token\":\"tok-$EXTRA\"" + (expiry.empty() ? "" : ",\"expirationTimestamp\":\"" + expiry + "\"") +
                 "}}\nJSON\n",
                 true);
  }
  fs::path dir_;
  base::FakeClock clock_{base::WallTime(std::chrono::seconds(1795774800))};  // 2026-11-27T10:20:00Z
};

TEST_F(CredentialsTest, TokenFileIsReReadAfterTheRefreshIntervalAndAfterA401) {
  auto path = Write("token", "first\n");
  TokenFileCredentials c(path, clock_, std::chrono::seconds(60));
  EXPECT_EQ(c.Get()->token, "first");
  Write("token", "second");
  EXPECT_EQ(c.Get()->token, "first") << "cached within the refresh interval";
  clock_.Advance(std::chrono::seconds(61));
  EXPECT_EQ(c.Get()->token, "second");
  Write("token", "third");
  c.Invalidate();
  EXPECT_EQ(c.Get()->token, "third");
}

TEST_F(CredentialsTest, TokenFileKeepsTheLastGoodTokenWhenTheFileVanishes) {
  auto path = Write("token", "good");
  TokenFileCredentials c(path, clock_, std::chrono::seconds(1));
  EXPECT_EQ(c.Get()->token, "good");
  fs::remove(path);
  clock_.Advance(std::chrono::seconds(5));
  EXPECT_EQ(c.Get()->token, "good");
  TokenFileCredentials missing((dir_ / "none").string(), clock_);
  EXPECT_FALSE(missing.Get().ok());
}

TEST_F(CredentialsTest, ExecPluginIsCachedUntilNearExpiry) {
  ExecConfig ec;
  ec.command = Plugin("2026-11-27T10:30:00Z");
  ec.env = {{"EXTRA", "x1"}};
  ExecCredentials c(ec, clock_);
  auto cred = c.Get();
  ASSERT_TRUE(cred.ok()) << cred.error();
  EXPECT_EQ(cred->token, "tok-x1");
  EXPECT_EQ(c.Get()->token, "tok-x1");
  EXPECT_EQ(Invocations(), 1);
  clock_.Advance(std::chrono::minutes(9) + std::chrono::seconds(45));  // within the expiry margin
  EXPECT_TRUE(c.Get().ok());
  EXPECT_EQ(Invocations(), 2);
  std::ifstream info(dir_ / "info");
  std::string line;
  std::getline(info, line);
  EXPECT_THAT(line, HasSubstr("\"kind\":\"ExecCredential\""));
}

TEST_F(CredentialsTest, ExecPluginRerunsAfterA401) {
  ExecConfig ec;
  ec.command = Plugin("");
  ExecCredentials c(ec, clock_);
  ASSERT_TRUE(c.Get().ok());
  ASSERT_TRUE(c.Get().ok());
  EXPECT_EQ(Invocations(), 1) << "no expiry: cached";
  c.Invalidate();
  ASSERT_TRUE(c.Get().ok());
  EXPECT_EQ(Invocations(), 2);
}

TEST_F(CredentialsTest, ExecPluginFailuresAreClear) {
  ExecConfig missing;
  missing.command = (dir_ / "nope").string();
  EXPECT_THAT(ExecCredentials(missing, clock_).Get().error(), HasSubstr("cannot run exec plugin"));
  ExecConfig failing;
  failing.command = Write("fail.sh", "#!/bin/sh\nexit 3\n", true);
  EXPECT_THAT(ExecCredentials(failing, clock_).Get().error(), HasSubstr("exit status 3"));
  ExecConfig garbage;
  garbage.command = Write("garbage.sh", "#!/bin/sh\necho hello\n", true);
  EXPECT_THAT(ExecCredentials(garbage, clock_).Get().error(), HasSubstr("output is not valid JSON"));
}

// A plugin that never stops writing is stopped after 1 MiB; one that writes a JSON bomb gets a
// clear error, not a crash.
TEST_F(CredentialsTest, ExecPluginOutputBombsAreClearErrors) {
  ExecConfig endless;
  endless.command = Write("endless.sh", "#!/bin/sh\nexec yes\n", true);
  EXPECT_THAT(ExecCredentials(endless, clock_).Get().error(), HasSubstr("endless.sh wrote more than 1 MiB"));
  ExecConfig deep;
  deep.command = Write("deep.sh", "#!/bin/sh\nhead -c 1000000 /dev/zero | tr '\\0' '['\n", true);
  EXPECT_THAT(ExecCredentials(deep, clock_).Get().error(), HasSubstr("deep.sh: output nests deeper than 64 levels"));
}

// serve blocks SIGTERM/SIGINT in every thread (sigwait) and SIGPIPE may be ignored; a plugin
// must not inherit either, or it could not be stopped.
TEST_F(CredentialsTest, ExecPluginStartsWithNoSignalBlockedOrIgnored) {
  const std::string report = (dir_ / "signals").string();
  ExecConfig ec;
  ec.command = Write("signals.sh",
                     // bash, not sh: dash clears its signal mask at start and would hide the bug.
                     "#!/bin/bash\ngrep -E '^Sig(Blk|Ign):' /proc/self/status > '" + report + "'\n"
                     "echo '{\"kind\":\"ExecCredential\",\"status\":{\"token\":\"t\"}}'\n",
                     true);
  struct sigaction ignore {}, previous_pipe {};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ignore, &previous_pipe);
  base::Expected<Credential, std::string> cred = base::Unexpected(std::string("not run"));
  std::thread([&] {  // as in serve: the signals blocked in the thread that runs the plugin
    sigset_t blocked;
    sigemptyset(&blocked);
    sigaddset(&blocked, SIGTERM);
    sigaddset(&blocked, SIGINT);
    pthread_sigmask(SIG_BLOCK, &blocked, nullptr);
    cred = ExecCredentials(ec, clock_).Get();
  }).join();
  sigaction(SIGPIPE, &previous_pipe, nullptr);
  ASSERT_TRUE(cred.ok()) << cred.error();
  std::map<std::string, unsigned long long> masks;
  std::ifstream in(report);
  for (std::string line; std::getline(in, line);) {
    masks[line.substr(0, line.find(':'))] = std::stoull(line.substr(line.find(':') + 1), nullptr, 16);
  }
  ASSERT_EQ(masks.size(), 2u) << "the plugin did not report its signal masks";
  auto bit = [](int sig) { return 1ULL << (sig - 1); };
  EXPECT_EQ(masks["SigBlk"], 0u) << "signals blocked in the plugin";
  EXPECT_EQ(masks["SigIgn"] & (bit(SIGTERM) | bit(SIGINT) | bit(SIGPIPE)), 0u) << "signals ignored in the plugin";
}

TEST(ParseExecCredentialTest, AcceptsTokensOrCertificates) {
  auto t = ParseExecCredential(R"({"kind":"ExecCredential","status":{"token":"t"}})");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->first.token, "t");
  EXPECT_FALSE(t->second);
  auto c = ParseExecCredential(
      R"({"kind":"ExecCredential","status":{"clientCertificateData":"C","clientKeyData":"K","expirationTimestamp":"2026-11-27T10:30:00Z"}})");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->first.cert_pem, "C");
  EXPECT_TRUE(c->second);
  EXPECT_FALSE(ParseExecCredential(R"({"kind":"ExecCredential","status":{}})").ok());
  EXPECT_FALSE(ParseExecCredential(R"({"kind":"Other","status":{"token":"t"}})").ok());
  EXPECT_FALSE(ParseExecCredential(R"({"kind":"ExecCredential","status":{"token":"t","expirationTimestamp":"soon"}})").ok());
}

}  // namespace
}  // namespace kube9::kube
