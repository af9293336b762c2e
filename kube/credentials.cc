#include "kube/credentials.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include <fmt/format.h>
#include <rapidjson/document.h>

#include "base/bytes.h"
#include "base/file.h"
#include "base/json.h"
#include "base/time_format.h"
#include "kube/limits.h"

extern char** environ;

namespace kube9::kube {
namespace {

constexpr auto kExecTimeout = std::chrono::seconds(30);
constexpr auto kExpiryMargin = std::chrono::seconds(30);

}  // namespace

TokenFileCredentials::TokenFileCredentials(std::string path, const base::Clock& clock, base::Millis refresh)
    : path_(std::move(path)), clock_(clock), refresh_(refresh) {}

base::Expected<Credential, std::string> TokenFileCredentials::Get() {
  std::lock_guard lock(mu_);
  const auto now = clock_.Now();
  if (!read_at_ || now - *read_at_ >= refresh_) {
    auto content = base::ReadFile(path_, kMaxCredentialFileBytes);
    std::string token = content.ok() ? base::TrimWhitespace(*content) : "";
    if (!token.empty()) {
      token_ = std::move(token);
      read_at_ = now;
    } else if (token_.empty()) {
      return base::Unexpected(fmt::format("cannot read a token from {}", path_));
    }
  }
  return Credential{token_, {}, {}};
}

void TokenFileCredentials::Invalidate() {
  std::lock_guard lock(mu_);
  read_at_.reset();
}

base::Expected<std::pair<Credential, std::optional<base::WallTime>>, std::string> ParseExecCredential(
    std::string_view json) {
  rapidjson::Document doc;
  if (auto parsed = base::ParseJson(doc, json, kExecCredentialJson); !parsed.ok()) {
    return base::Unexpected("output " + parsed.error());
  }
  if (!doc.IsObject()) return base::Unexpected(std::string("output is not a JSON object"));
  auto kind = doc.FindMember("kind");
  if (kind == doc.MemberEnd() || !kind->value.IsString() || std::string_view(kind->value.GetString()) != "ExecCredential") {
    return base::Unexpected(std::string("output is not an ExecCredential"));
  }
  auto status = doc.FindMember("status");
  if (status == doc.MemberEnd() || !status->value.IsObject()) {
    return base::Unexpected(std::string("ExecCredential has no status"));
  }
  Credential c;
  auto str = [&](const char* name) -> std::string {
    auto m = status->value.FindMember(name);
    return m != status->value.MemberEnd() && m->value.IsString() ? m->value.GetString() : "";
  };
  c.token = str("token");
  c.cert_pem = str("clientCertificateData");
  c.key_pem = str("clientKeyData");
  if (c.token.empty() && (c.cert_pem.empty() || c.key_pem.empty())) {
    return base::Unexpected(std::string("ExecCredential has neither a token nor a client certificate and key"));
  }
  std::optional<base::WallTime> expires;
  if (std::string exp = str("expirationTimestamp"); !exp.empty()) {
    expires = base::ParseRfc3339(exp);
    if (!expires) return base::Unexpected(fmt::format("bad expirationTimestamp '{}'", exp));
  }
  return std::make_pair(c, expires);
}

ExecCredentials::ExecCredentials(ExecConfig config, const base::Clock& clock)
    : config_(std::move(config)), clock_(clock) {}

void ExecCredentials::Invalidate() {
  std::lock_guard lock(mu_);
  cached_.reset();
}

base::Expected<Credential, std::string> ExecCredentials::Get() {
  std::lock_guard lock(mu_);
  if (cached_ && (!expires_ || clock_.WallNow() + kExpiryMargin < *expires_)) return *cached_;

  // The plugin learns what is asked of it from KUBERNETES_EXEC_INFO.
  std::vector<std::string> env_storage;
  for (char** e = environ; e && *e; ++e) env_storage.emplace_back(*e);
  for (const auto& [k, v] : config_.env) env_storage.push_back(k + "=" + v);
  env_storage.push_back(fmt::format(
      R"(KUBERNETES_EXEC_INFO={{"apiVersion":"{}","kind":"ExecCredential","spec":{{"interactive":false}}}})",
      config_.api_version));
  std::vector<char*> envp;
  for (auto& s : env_storage) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string command = config_.command;
  if (command.find('/') != std::string::npos && command.front() != '/' && !config_.working_dir.empty()) {
    command = config_.working_dir + "/" + command;
  }
  std::vector<std::string> argv_storage{command};
  argv_storage.insert(argv_storage.end(), config_.args.begin(), config_.args.end());
  std::vector<char*> argv;
  for (auto& s : argv_storage) argv.push_back(s.data());
  argv.push_back(nullptr);

  int out_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) return base::Unexpected(std::string("pipe failed"));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  // serve blocks SIGTERM/SIGINT in every thread (it takes them with sigwait) and the HTTP client
  // blocks SIGPIPE while it writes; a child inherits both, which would make a stuck plugin unkillable by
  // anything but SIGKILL. Start it with no signal blocked and those three at their defaults.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (int sig : {SIGTERM, SIGINT, SIGPIPE}) sigaddset(&defaults, sig);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, command.c_str(), &actions, &attr, argv.data(), envp.data());
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  close(out_pipe[1]);
  if (rc != 0) {
    close(out_pipe[0]);
    return base::Unexpected(fmt::format("cannot run exec plugin {}: {}", config_.command, std::strerror(rc)));
  }
  std::string output;
  const auto deadline = std::chrono::steady_clock::now() + kExecTimeout;
  bool timed_out = false;
  bool too_long = false;  // more output than an ExecCredential can be: stop reading, stop it
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd pfd{out_pipe[0], POLLIN, 0};
    if (poll(&pfd, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[4096];
    const ssize_t n = read(out_pipe[0], buf, sizeof(buf));
    if (n <= 0) break;
    if (static_cast<std::size_t>(n) > kExecCredentialJson.max_bytes - output.size()) {
      too_long = true;
      break;
    }
    output.append(buf, static_cast<std::size_t>(n));
  }
  close(out_pipe[0]);
  // A plugin that closed its stdout may still not exit: the deadline covers the wait too.
  int wstatus = 0;
  while (!timed_out && !too_long && waitpid(pid, &wstatus, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() >= deadline) {
      timed_out = true;
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  if (timed_out || too_long) {
    kill(pid, SIGKILL);
    waitpid(pid, &wstatus, 0);
  }
  if (timed_out) return base::Unexpected(fmt::format("exec plugin {} timed out", config_.command));
  if (too_long) {
    return base::Unexpected(fmt::format("exec plugin {} wrote more than {}", config_.command,
                                        base::FormatBytes(kExecCredentialJson.max_bytes)));
  }
  if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
    return base::Unexpected(fmt::format("exec plugin {} failed (exit status {})", config_.command,
                                        WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1));
  }
  auto parsed = ParseExecCredential(output);
  if (!parsed.ok()) return base::Unexpected(fmt::format("exec plugin {}: {}", config_.command, parsed.error()));
  cached_ = parsed->first;
  expires_ = parsed->second;
  return *cached_;
}

}  // namespace kube9::kube
