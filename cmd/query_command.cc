#include <unistd.h>

#include <iostream>

#include "base/log.h"
#include "cmd/commands.h"
#include "sinks/events/event_db.h"
#include "sinks/events/query.h"

namespace kube9::cmd {
namespace {

namespace events = sinks::events;

constexpr const char* kQueryUsage =
    "Usage: kube9-operator query <what> <verb> [flags]\n\n"
    "Reads what the operator keeps for the kube9 VS Code extension, which runs these commands in\n"
    "the operator's pod (kubectl exec) and parses their stdout: stdout holds exactly one JSON\n"
    "document, logs go to stderr.\n\n"
    "Commands:\n"
    "  events list                    The events history (every Warning event and the significant\n"
    "                                 Normal ones).\n"
    "  argocd resource-tree get APP   The resource tree of an Argo CD application, from Argo CD's API.\n\n"
    "Run 'kube9-operator query events list --help' (or argocd resource-tree get --help) for flags.\n";

// Every failure is one JSON object on stderr, so that the extension can show why.
int Fail(int code, std::string_view error, std::string_view details) {
  std::cerr << events::RenderError(error, details);
  return code;
}

int EventsList(const std::vector<std::string>& args, const config::Environment& env) {
  auto env_path = env.find(events::kDataPathEnv);
  auto req = events::ParseListFlags(args, env_path == env.end() ? "" : env_path->second, ::isatty(STDOUT_FILENO) == 1,
                                    std::chrono::system_clock::now());
  if (!req.ok()) return Fail(2, "invalid flags", req.error());
  if (req->help) {
    std::cout << events::ListUsage();
    return 0;
  }
  if (!req->log_level.empty()) log::Configure(*log::ParseLevel(req->log_level), log::Format::kJson);
  log::Debug("reading the events store", {{"path", req->store_path}});
  auto db = events::EventDb::OpenForReading(req->store_path);
  if (!db.ok()) return Fail(1, "cannot read the events store", db.error().message);
  auto result = (*db)->Query(req->filter);
  if (!result.ok()) return Fail(1, "cannot read the events store", result.error().message);
  log::Debug("events read", {{"total", result->total}, {"returned", result->rows.size()}});
  switch (req->format) {
    case events::OutputFormat::kJson: std::cout << events::RenderJson(*result, req->filter); break;
    case events::OutputFormat::kYaml: std::cout << events::RenderYaml(*result, req->filter); break;
    case events::OutputFormat::kTable: std::cout << events::RenderTable(*result, req->filter); break;
  }
  std::cout.flush();
  return std::cout.good() ? 0 : 1;
}

}  // namespace

int Query(const std::vector<std::string>& args, const config::Environment& env) {
  // Logs never mix with the output on stdout, whatever the level (LOG_LEVEL from the pod).
  log::LogToStderr();
  if (auto level = env.find("LOG_LEVEL"); level != env.end()) {
    if (auto l = log::ParseLevel(level->second)) log::Configure(*l, log::Format::kJson);
  }
  std::vector<std::string> rest = args;
  std::vector<std::string> words;
  // `events list`, or `argocd resource-tree get` (whose application name stays in `rest`).
  auto max_words = [&words] { return !words.empty() && words[0] == "argocd" ? 3u : 2u; };
  while (!rest.empty() && !rest.front().empty() && rest.front().front() != '-' && words.size() < max_words()) {
    words.push_back(rest.front());
    rest.erase(rest.begin());
  }
  if (!words.empty() && words[0] == "argocd") return QueryArgoCd(words, rest, env);
  if (words.size() == 2 && words[0] == "events" && words[1] == "list") {
    try {
      return EventsList(rest, env);
    } catch (const std::exception& e) {
      return Fail(1, "internal error", e.what());
    }
  }
  const bool help = !rest.empty() && (rest.front() == "--help" || rest.front() == "-h");
  if (help && words.size() < 2) {
    std::cout << kQueryUsage;
    return 0;
  }
  std::string given;
  for (const auto& w : words) given += (given.empty() ? "" : " ") + w;
  return Fail(2, "invalid command",
              given.empty() ? "expected 'query events list' or 'query argocd resource-tree get APP'"
                            : "unknown query '" + given +
                                  "'; expected 'query events list' or 'query argocd resource-tree get APP'");
}

}  // namespace kube9::cmd
