#pragma once

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "sinks/upload/observer.h"

namespace kube9::sinks::upload::testing {

// A fresh directory under the test temp dir, removed afterwards.
class ScratchDir {
 public:
  ScratchDir() {
    static std::atomic<int> counter{0};
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = std::filesystem::path(::testing::TempDir()) /
            ("kube9_upload_" + std::to_string(::getpid()) + "_" + info->name() + "_" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string path() const { return path_.string(); }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

class RecordingSpoolObserver final : public SpoolObserver {
 public:
  void OnSpoolChanged(std::uint64_t bytes, std::size_t items) override {
    std::lock_guard lock(mu_);
    last_ = {bytes, items};
  }
  void OnDrop(std::string_view type, std::string_view reason) override {
    std::lock_guard lock(mu_);
    drops_.emplace_back(std::string(type), std::string(reason));
  }
  std::vector<std::pair<std::string, std::string>> drops() const {
    std::lock_guard lock(mu_);
    return drops_;
  }
  std::pair<std::uint64_t, std::size_t> last() const {
    std::lock_guard lock(mu_);
    return last_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::pair<std::string, std::string>> drops_;
  std::pair<std::uint64_t, std::size_t> last_{};
};

}  // namespace kube9::sinks::upload::testing
