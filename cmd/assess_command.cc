#include <unistd.h>

#include <algorithm>
#include <initializer_list>
#include <iostream>
#include <optional>
#include <thread>

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <yaml-cpp/yaml.h>

#include "assessment/catalogue.h"
#include "assessment/engine.h"
#include "base/json.h"
#include "base/log.h"
#include "base/text.h"
#include "base/thread.h"
#include "base/time_format.h"
#include "base/version.h"
#include "cmd/commands.h"
#include "collectors/collector_set.h"
#include "collectors/discovery.h"
#include "collectors/registry.h"
#include "collectors/sampler.h"
#include "http/openssl_transport.h"
#include "kube/client.h"
#include "kube/cluster_access.h"
#include "kube/limits.h"
#include "sinks/status/configmap_publisher.h"

// `kube9-operator assess run|list|summary` (docs/assessment.md).
namespace kube9::cmd {
namespace {

constexpr const char* kUsage =
    "Usage: kube9-operator assess COMMAND [flags]\n\n"
    "The Well-Architected assessment (docs/assessment.md).\n\n"
    "Commands:\n"
    "  run       List the cluster as the operator does, run the checks once and print the results.\n"
    "  list      Print the catalogue of checks.\n"
    "  summary   Print what the running operator last published (the status ConfigMap's assessment).\n\n"
    "Run `kube9-operator assess COMMAND --help` for a command's flags.\n";

constexpr const char* kRunUsage =
    "Usage: kube9-operator assess run [flags]\n\n"
    "Lists the cluster (any kubeconfig: no operator needs to be installed), runs the checks once and\n"
    "prints the results on stdout; logs go to stderr.\n\nFlags:\n"
    "  --pillar name          Only the checks of this pillar (security, reliability, performance-efficiency,\n"
    "                         cost-optimization, operational-excellence, sustainability).\n"
    "  --check id             Only this check (repeatable, or comma-separated).\n"
    "  -o, --output format    table (default on a terminal), json (default otherwise) or yaml.\n"
    "  --fail-on level        warning or failing: exit 1 when a check is at or above it (error and\n"
    "                         timeout count as failing). Without it, findings never change the exit code.\n"
    "  --collectors list      Collectors to run (default: all); checks whose data is not collected are skipped.\n"
    "  --kubeconfig path      Kubeconfig to use (default: $KUBECONFIG, in-cluster, ~/.kube/config).\n"
    "  --context name         Kubeconfig context to use.\n"
    "  --timeout duration     How long to wait for the LISTs (default 60s).\n"
    "  -h, --help             Show this help.\n\n"
    "Exit codes: 0 the checks ran (and none reached --fail-on); 1 a check reached --fail-on;\n"
    "2 invalid flags or no cluster access; 3 the cluster could not be listed in time (nothing assessed).\n";

constexpr const char* kListUsage =
    "Usage: kube9-operator assess list [flags]\n\n"
    "Prints the catalogue: each check's id, name, pillar, severity and remediation.\n\nFlags:\n"
    "  --pillar name          Only the checks of this pillar.\n"
    "  -o, --output format    table (default on a terminal), json (default otherwise) or yaml.\n"
    "  -h, --help             Show this help.\n";

constexpr const char* kSummaryUsage =
    "Usage: kube9-operator assess summary [flags]\n\n"
    "Reads the status ConfigMap (kube9-operator-status) and prints its assessment block: what the\n"
    "running operator last published.\n\nFlags:\n"
    "  -n, --namespace name   Namespace of the operator (default: $POD_NAMESPACE, else kube9-system).\n"
    "  -o, --output format    table (default on a terminal), json (default otherwise: the block as published) or "
    "yaml.\n"
    "  --kubeconfig path      Kubeconfig to use (default: $KUBECONFIG, in-cluster, ~/.kube/config).\n"
    "  --context name         Kubeconfig context to use.\n"
    "  -h, --help             Show this help.\n\n"
    "Exit codes: 0 printed; 1 no status ConfigMap, or it has no assessment; 2 invalid flags.\n";

using Writer = rapidjson::PrettyWriter<rapidjson::StringBuffer>;

void Str(Writer& w, std::string_view s) { w.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); }

void Strings(Writer& w, std::initializer_list<std::pair<const char*, std::string_view>> fields) {
  for (auto [k, v] : fields) {
    w.Key(k);
    Str(w, v);
  }
}

void Integers(Writer& w, std::initializer_list<std::pair<const char*, std::int64_t>> fields) {
  for (auto [k, v] : fields) {
    w.Key(k);
    w.Int64(v);
  }
}

// A check's identity as `assess list` and `assess run` print it.
void CheckIdentity(Writer& w, const assessment::CheckInfo& i) {
  Strings(w, {{"checkId", i.id},
              {"checkName", i.name},
              {"pillar", assessment::PillarName(i.pillar)},
              {"severity", assessment::SeverityName(i.severity)}});
}

void YamlFrom(const rapidjson::Value& v, YAML::Emitter& out) {
  if (v.IsObject()) {
    out << YAML::BeginMap;
    for (const auto& m : v.GetObject()) {
      out << YAML::Key << m.name.GetString() << YAML::Value;
      YamlFrom(m.value, out);
    }
    out << YAML::EndMap;
  } else if (v.IsArray()) {
    out << YAML::BeginSeq;
    for (const auto& e : v.GetArray()) YamlFrom(e, out);
    out << YAML::EndSeq;
  } else if (v.IsString()) {
    out << YAML::DoubleQuoted << std::string(v.GetString(), v.GetStringLength());
  } else if (v.IsBool()) {
    out << v.GetBool();
  } else if (v.IsInt64()) {
    out << v.GetInt64();
  } else if (v.IsNumber()) {
    out << v.GetDouble();
  } else {
    out << YAML::Null;
  }
}

// Prints a JSON document as json (2-space indent) or yaml.
void PrintDocument(const std::string& json, const std::string& format) {
  if (format == "json") {
    std::cout << json << "\n";
    return;
  }
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  YAML::Emitter out;
  YamlFrom(doc, out);
  std::cout << out.c_str() << "\n";
}

std::string DefaultFormat() { return ::isatty(STDOUT_FILENO) == 1 ? "table" : "json"; }

bool ValidFormat(const std::string& f) { return f == "table" || f == "json" || f == "yaml"; }

std::string CatalogueJson(const assessment::Selection& selection) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.SetIndent(' ', 2);
  w.StartObject();
  w.Key("checks");
  w.StartArray();
  for (const auto& c : assessment::Catalogue()) {
    const auto& i = c->info();
    if (!selection.Selects(i)) continue;
    w.StartObject();
    CheckIdentity(w, i);
    Strings(w, {{"remediation", i.remediation}});
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

std::string ReportJson(const assessment::Report& r) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.SetIndent(' ', 2);
  const auto t = r.totals();
  w.StartObject();
  w.Key("runId");
  Str(w, r.run_id);
  w.Key("completedAt");
  Str(w, base::FormatRfc3339Millis(r.completed));
  w.Key("durationMs");
  w.Double(std::chrono::duration<double, std::milli>(r.took).count());
  w.Key("totals");
  w.StartObject();
  Integers(w, {{"totalChecks", t.total},
               {"completedChecks", t.completed},
               {"passedChecks", t.passed},
               {"failedChecks", t.failed},
               {"warningChecks", t.warning}});
  w.EndObject();
  w.Key("pillars");
  w.StartArray();
  for (const auto& p : assessment::SummarizePillars(r)) {
    if (p.passing + p.failing + p.warning + p.skipped + p.error + p.timeout == 0) continue;
    w.StartObject();
    w.Key("pillar");
    Str(w, assessment::PillarName(p.pillar));
    Integers(w, {{"score", p.score},
                 {"passing", p.passing},
                 {"failing", p.failing},
                 {"warning", p.warning},
                 {"skipped", p.skipped},
                 {"error", p.error + p.timeout}});
    w.EndObject();
  }
  w.EndArray();
  w.Key("checks");
  w.StartArray();
  for (const auto& c : r.checks) {
    w.StartObject();
    CheckIdentity(w, *c.info);
    Strings(w, {{"status", assessment::StatusName(c.result.status)}, {"message", c.result.message}});
    w.Key("remediation");
    Str(w, c.info->remediation);
    w.Key("durationMs");
    w.Double(std::chrono::duration<double, std::milli>(c.took).count());
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

void PrintTable(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()));
    for (std::size_t i = 0; i + 1 < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += i + 1 < row.size() ? fmt::format("{:<{}}  ", row[i], widths[i]) : row[i];
    }
    std::cout << line << "\n";
  }
}

// SplitArgs with the commands' common handling: --help prints `usage` (nullopt: exit 0), and
// positional arguments are problems.
std::optional<config::ParsedArgs> Parse(const std::vector<std::string>& args, const std::vector<std::string>& valued,
                                        const char* usage) {
  config::ParsedArgs split = config::SplitArgs(args, valued);
  if (split.help) {
    std::cout << usage;
    return std::nullopt;
  }
  for (const auto& p : split.positional) split.problems.push_back("unexpected argument '" + p + "'");
  return split;
}

// Flags shared by run and list: --pillar, --check, -o.
struct Common {
  assessment::Selection selection;
  std::string format = DefaultFormat();
};
bool ParseCommon(const std::string& k, const std::string& v, Common& c, config::Problems& problems) {
  if (k == "--pillar") {
    c.selection.pillar = assessment::ParsePillar(v);
    if (!c.selection.pillar) {
      problems.push_back("flag --pillar=" + v +
                         ": must be security, reliability, performance-efficiency, "
                         "cost-optimization, operational-excellence or sustainability");
    }
  } else if (k == "--check") {
    for (const auto& id : base::SplitList(v)) {
      if (assessment::FindCheck(id) == nullptr)
        problems.push_back("flag --check=" + id + ": no such check (see assess list)");
      c.selection.ids.push_back(id);
    }
  } else if (k == "-o" || k == "--output") {
    if (!ValidFormat(v)) problems.push_back("flag " + k + "=" + v + ": must be table, json or yaml");
    c.format = v;
  } else {
    return false;
  }
  return true;
}

int List(const std::vector<std::string>& args) {
  auto split = Parse(args, {"--pillar", "--output", "-o"}, kListUsage);
  if (!split) return 0;
  config::Problems problems = split->problems;
  Common common;
  for (const auto& [k, v] : split->options) ParseCommon(k, v, common, problems);
  if (!problems.empty()) return ReportProblems("assess list", problems);
  if (common.format != "table") {
    PrintDocument(CatalogueJson(common.selection), common.format);
    return 0;
  }
  std::vector<std::vector<std::string>> rows = {{"CHECK", "PILLAR", "SEVERITY", "NAME"}};
  for (const auto& c : assessment::Catalogue()) {
    const auto& i = c->info();
    if (!common.selection.Selects(i)) continue;
    rows.push_back({std::string(i.id), std::string(assessment::PillarName(i.pillar)),
                    std::string(assessment::SeverityName(i.severity)), std::string(i.name)});
  }
  PrintTable(rows);
  return 0;
}

int RunOnce(const std::vector<std::string>& args, const config::Environment& env) {
  auto split = Parse(
      args,
      {"--pillar", "--check", "--output", "-o", "--fail-on", "--collectors", "--kubeconfig", "--context", "--timeout"},
      kRunUsage);
  if (!split) return 0;
  config::Problems problems = split->problems;
  Common common;
  std::string kubeconfig, context, fail_on;
  std::vector<std::string> collector_names;
  base::Millis timeout{std::chrono::seconds(60)};
  for (const auto& [k, v] : split->options) {
    if (ParseCommon(k, v, common, problems)) continue;
    if (k == "--kubeconfig") {
      kubeconfig = v;
    } else if (k == "--context") {
      context = v;
    } else if (k == "--fail-on") {
      if (v != "warning" && v != "failing") problems.push_back("flag --fail-on=" + v + ": must be warning or failing");
      fail_on = v;
    } else if (k == "--collectors") {
      collector_names = base::SplitList(v);
      if (collector_names.empty()) problems.push_back("flag --collectors: must name at least one collector");
    } else if (auto d = base::ParseDuration(v); d && *d > base::Millis(0)) {
      timeout = *d;
    } else {
      problems.push_back("flag --timeout=" + v + ": must be a duration such as 60s");
    }
  }
  if (!collector_names.empty()) {
    if (std::string problem = collectors::ResolveCollectorNames(collector_names); !problem.empty()) {
      problems.push_back("flag --collectors: " + problem);
    }
  } else {
    collector_names = collectors::AllCollectorNames();
  }
  // The events history is the serving operator's; the assessment reads no events.
  std::erase(collector_names, std::string(collectors::kEvents.name));
  if (!problems.empty()) return ReportProblems("assess run", problems);

  log::LogToStderr();  // stdout carries the result only
  log::Configure(log::Level::kWarn, log::Format::kLogfmt);
  base::SystemClock clock;
  auto access = kube::ResolveClusterAccess(kubeconfig, context, env, clock);
  if (!access.ok()) return ReportClusterAccessProblem("assess run", access.error());
  http::OpenSslTransport transport(access->trust, std::string("kube9-operator/") + base::kVersion);
  kube::Client client(std::move(access).value(), transport, clock);
  // Add-on APIs (VPA): their optional collectors run where discovery finds them served, as in
  // the operator; their checks, and those about external secret managers, are skipped when
  // discovery fails.
  auto discovered = collectors::DiscoverOnce(client, clock);
  std::optional<collectors::ApiGroups> api_groups;
  collectors::CollectorSet set(collector_names, client, clock, nullptr);
  if (discovered.ok()) {
    api_groups = collectors::GroupsOf(discovered->groups);
    set.SetServedApis(collectors::ServedApisOf(*discovered));
  }
  base::StopSignal stop;
  set.Start(stop, base::LogOnlyThreadFailures());  // a one-shot command: a failure shows as unsynced
  const auto deadline = clock.Now() + timeout;
  // An optional collector that fails (RBAC denies it) is not waited for: its checks are skipped.
  auto optional_pending = [&] {
    std::vector<std::string> failing;
    for (const auto& f : set.Failures()) failing.push_back(f.collector);
    for (const auto& name : set.UnsyncedOptional()) {
      if (std::find(failing.begin(), failing.end(), name) == failing.end()) return true;
    }
    return false;
  };
  while ((!set.Unsynced().empty() || optional_pending()) && clock.Now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const std::vector<std::string> unsynced = set.Unsynced();
  const collectors::OptionalStores optional = set.SyncedOptional();
  std::shared_ptr<const collectors::ClusterAggregates> sample;
  collectors::Sampler sampler(set, client, clock, std::chrono::seconds(60),
                              {[&](const std::shared_ptr<const collectors::ClusterAggregates>& a,
                                   const std::vector<std::string>&) { sample = a; }});
  if (unsynced.empty()) sampler.SampleOnce();
  stop.Stop();
  set.Join();
  if (!unsynced.empty() || sample == nullptr) {
    std::string names;
    for (const auto& n : unsynced) names += (names.empty() ? "" : ", ") + n;
    std::cerr << "kube9-operator assess run: the first LIST did not complete in time for: " << names << "\n";
    return 3;
  }
  // Facts about a serving operator do not apply to this one-shot process: left unjudged.
  const assessment::SelfFacts self{true, true, ""};
  assessment::Inputs inputs{set.stores(), clock.WallNow(), self, sample.get()};
  inputs.api_groups = api_groups ? &*api_groups : nullptr;
  inputs.optional = &optional;
  const assessment::Report report = assessment::Run(assessment::CatalogueChecks(), common.selection, inputs, clock);
  if (common.format == "table") {
    std::vector<std::vector<std::string>> rows = {{"STATUS", "SEVERITY", "CHECK", "MESSAGE"}};
    for (const auto& c : report.checks) {
      rows.push_back({std::string(assessment::StatusName(c.result.status)),
                      std::string(assessment::SeverityName(c.info->severity)), std::string(c.info->id),
                      c.result.message});
    }
    PrintTable(rows);
    const auto t = report.totals();
    std::cout << fmt::format("\n{} checks: {} passing, {} failing, {} warning, {} not completed ({:.0f} ms)\n", t.total,
                             t.passed, t.failed, t.warning, t.total - t.completed,
                             std::chrono::duration<double, std::milli>(report.took).count());
  } else {
    PrintDocument(ReportJson(report), common.format);
  }
  if (fail_on.empty()) return 0;
  for (const auto& c : report.checks) {
    const auto s = c.result.status;
    const bool failing =
        s == assessment::Status::kFailing || s == assessment::Status::kError || s == assessment::Status::kTimeout;
    if (failing || (fail_on == "warning" && s == assessment::Status::kWarning)) return 1;
  }
  return 0;
}

int Summary(const std::vector<std::string>& args, const config::Environment& env) {
  auto split = Parse(args, {"--kubeconfig", "--context", "--namespace", "-n", "--output", "-o"}, kSummaryUsage);
  if (!split) return 0;
  config::Problems problems = split->problems;
  std::string kubeconfig, context, format = DefaultFormat();
  std::string ns =
      env.count("POD_NAMESPACE") && !env.at("POD_NAMESPACE").empty() ? env.at("POD_NAMESPACE") : "kube9-system";
  for (const auto& [k, v] : split->options) {
    if (k == "--kubeconfig") {
      kubeconfig = v;
    } else if (k == "--context") {
      context = v;
    } else if (k == "-n" || k == "--namespace") {
      ns = v;
    } else if (ValidFormat(v)) {
      format = v;
    } else {
      problems.push_back("flag " + k + "=" + v + ": must be table, json or yaml");
    }
  }
  if (!problems.empty()) return ReportProblems("assess summary", problems);
  log::LogToStderr();
  base::SystemClock clock;
  auto access = kube::ResolveClusterAccess(kubeconfig, context, env, clock);
  if (!access.ok()) return ReportClusterAccessProblem("assess summary", access.error());
  http::OpenSslTransport transport(access->trust, std::string("kube9-operator/") + base::kVersion);
  kube::Client client(std::move(access).value(), transport, clock);
  auto cm = client.GetConfigMap(ns, sinks::kStatusConfigMapName);
  if (!cm.ok()) {
    std::cerr << "kube9-operator assess summary: cannot read the status ConfigMap " << ns << "/"
              << sinks::kStatusConfigMapName << ": " << cm.error().ToString() << "\n";
    return 1;
  }
  rapidjson::Document doc;
  auto it = cm->data.find("status");
  if (it == cm->data.end() || !base::ParseJson(doc, it->second, kube::kObjectJson).ok() || !doc.IsObject()) {
    std::cerr << "kube9-operator assess summary: the status ConfigMap has no readable 'status' key\n";
    return 1;
  }
  auto a = doc.FindMember("assessment");
  if (a == doc.MemberEnd() || !a->value.IsObject()) {
    std::cerr
        << "kube9-operator assess summary: the status has no assessment (an operator older than the assessment)\n";
    return 1;
  }
  const rapidjson::Value& block = a->value;
  if (format != "table") {
    rapidjson::StringBuffer buf;
    Writer w(buf);
    w.SetIndent(' ', 2);
    block.Accept(w);
    PrintDocument({buf.GetString(), buf.GetSize()}, format);
    return 0;
  }
  auto text = [](const rapidjson::Value& v, const char* name) -> std::string {
    auto m = v.FindMember(name);
    if (m == v.MemberEnd() || m->value.IsNull()) return "-";
    if (m->value.IsString()) return m->value.GetString();
    if (m->value.IsInt64()) return std::to_string(m->value.GetInt64());
    if (m->value.IsBool()) return m->value.GetBool() ? "yes" : "no";
    return "?";
  };
  std::cout << fmt::format("Assessment published by kube9-operator in {}: outcome {}, completed {}, run {}\n", ns,
                           text(block, "lastScheduledOutcome"), text(block, "lastScheduledCompletedAt"),
                           text(block, "lastScheduledRunId"));
  if (auto t = block.FindMember("lastScheduledTotals"); t != block.MemberEnd() && t->value.IsObject()) {
    std::cout << fmt::format("{} checks: {} passing, {} failing, {} warning\n", text(t->value, "totalChecks"),
                             text(t->value, "passedChecks"), text(t->value, "failedChecks"),
                             text(t->value, "warningChecks"));
  }
  if (text(block, "lastScheduledError") != "-") std::cout << "Error: " << text(block, "lastScheduledError") << "\n";
  std::vector<std::vector<std::string>> rows = {{"STATUS", "CHECK", "MESSAGE"}};
  if (auto checks = block.FindMember("lastScheduledChecks"); checks != block.MemberEnd() && checks->value.IsArray()) {
    for (const auto& c : checks->value.GetArray()) {
      if (c.IsObject()) rows.push_back({text(c, "status"), text(c, "checkId"), text(c, "message")});
    }
  }
  std::cout << "\n";
  PrintTable(rows);
  return 0;
}

}  // namespace

int Assess(const std::vector<std::string>& args, const config::Environment& env) {
  if (args.empty() || args.front() == "--help" || args.front() == "-h" || args.front() == "help") {
    std::cout << kUsage;
    return args.empty() ? 2 : 0;
  }
  const std::string sub = args.front();
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (sub == "run") return RunOnce(rest, env);
  if (sub == "list") return List(rest);
  if (sub == "summary") return Summary(rest, env);
  std::cerr << "kube9-operator assess: unknown command '" << sub << "'\n\n" << kUsage;
  return 2;
}

}  // namespace kube9::cmd
