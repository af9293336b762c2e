#include <iostream>

#include <fmt/format.h>
#include <rapidjson/document.h>

#include "base/json.h"
#include "base/time_format.h"
#include "base/version.h"
#include "cmd/commands.h"
#include "http/openssl_transport.h"
#include "kube/client.h"
#include "kube/cluster_access.h"
#include "kube/limits.h"
#include "sinks/status/configmap_publisher.h"

namespace kube9::cmd {
namespace {

constexpr const char* kUsage =
    "Usage: kube9-operator status [flags]\n\n"
    "Reads the status ConfigMap (kube9-operator-status) and prints it readably, with the mode the\n"
    "kube9 VS Code extension derives from it.\n\nFlags:\n"
    "  --kubeconfig path      Kubeconfig to use (default: $KUBECONFIG, in-cluster, ~/.kube/config).\n"
    "  --context name         Kubeconfig context to use.\n"
    "  -n, --namespace name   Namespace of the operator (default: $POD_NAMESPACE, else kube9-system).\n"
    "  -o, --output format    text (default) or json (the raw status document).\n"
    "  -h, --help             Show this help.\n";

constexpr auto kStaleAfter = std::chrono::minutes(5);  // as the extension judges it

std::string Member(const rapidjson::Value& obj, const char* name) {
  auto m = obj.FindMember(name);
  if (m == obj.MemberEnd() || m->value.IsNull()) return "-";
  if (m->value.IsString()) return m->value.GetString();
  if (m->value.IsBool()) return m->value.GetBool() ? "yes" : "no";
  if (m->value.IsUint64()) return std::to_string(m->value.GetUint64());
  if (m->value.IsNumber()) return fmt::format("{}", m->value.GetDouble());
  return "(unexpected type)";
}

std::string Ago(base::Millis d) {
  const auto s = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  if (s < 0) return "in the future";
  return base::FormatDuration(std::chrono::seconds(s)) + " ago";
}

}  // namespace

int Status(const std::vector<std::string>& args, const config::Environment& env) {
  auto split = config::SplitArgs(args, {"--kubeconfig", "--context", "--namespace", "-n", "--output", "-o"});
  if (split.help) {
    std::cout << kUsage;
    return 0;
  }
  config::Problems problems = split.problems;
  for (const auto& p : split.positional) problems.push_back("unexpected argument '" + p + "'");
  std::string kubeconfig, context, output = "text";
  std::string ns = env.count("POD_NAMESPACE") && !env.at("POD_NAMESPACE").empty() ? env.at("POD_NAMESPACE") : "kube9-system";
  for (const auto& [k, v] : split.options) {
    if (k == "--kubeconfig") kubeconfig = v;
    else if (k == "--context") context = v;
    else if (k == "-n" || k == "--namespace") ns = v;
    else if (v == "text" || v == "json") output = v;
    else problems.push_back("flag " + k + "=" + v + ": must be text or json");
  }
  if (!problems.empty()) return ReportProblems("status", problems);

  base::SystemClock clock;
  auto access = kube::ResolveClusterAccess(kubeconfig, context, env, clock);
  if (!access.ok()) return ReportClusterAccessProblem("status", access.error());
  http::OpenSslTransport transport(access->trust, std::string("kube9-operator/") + base::kVersion);
  kube::Client client(std::move(access).value(), transport, clock);
  auto cm = client.GetConfigMap(ns, sinks::kStatusConfigMapName);
  if (!cm.ok()) {
    if (cm.error().kind == kube::ErrorKind::kNotFound) {
      std::cerr << fmt::format("No status ConfigMap {}/{}: the operator is not installed in this namespace (the "
                               "extension shows basic mode), or the namespace does not exist.\n",
                               ns, sinks::kStatusConfigMapName);
    } else {
      std::cerr << "kube9-operator status: cannot read the status ConfigMap: " << cm.error().ToString() << "\n";
    }
    return 1;
  }
  auto it = cm->data.find("status");
  if (it == cm->data.end()) {
    std::cerr << "kube9-operator status: the ConfigMap has no 'status' key\n";
    return 1;
  }
  if (output == "json") {
    std::cout << it->second << "\n";
    return 0;
  }
  rapidjson::Document doc;
  if (!base::ParseJson(doc, it->second, kube::kObjectJson).ok() || !doc.IsObject()) {
    std::cerr << "kube9-operator status: the 'status' value is not a JSON object\n";
    return 1;
  }
  const std::string last_update = Member(doc, "lastUpdate");
  const auto updated = base::ParseRfc3339(last_update);
  const auto age = updated ? std::chrono::duration_cast<base::Millis>(clock.WallNow() - *updated) : base::Millis(0);
  const std::string health = Member(doc, "health");
  std::string extension_mode = Member(doc, "mode");
  if (health == "degraded" || health == "unhealthy" || !updated || age > kStaleAfter) extension_mode = "degraded";

  std::cout << fmt::format("Status of kube9-operator in {} (ConfigMap {})\n\n", ns, sinks::kStatusConfigMapName);
  auto row = [](const std::string& k, const std::string& v) { std::cout << fmt::format("  {:<18} {}\n", k + ":", v); };
  row("Extension sees", extension_mode);
  row("Mode", Member(doc, "mode"));
  row("Tier", Member(doc, "tier"));
  row("Version", Member(doc, "version"));
  row("Health", health);
  row("Last update", updated ? fmt::format("{} ({})", last_update, Ago(age)) : last_update + " (unreadable)");
  row("Registered", Member(doc, "registered"));
  row("API key", Member(doc, "apiKeyConfigured") == "yes" ? "configured" : "not configured");
  row("Error", Member(doc, "error"));
  row("Namespace", Member(doc, "namespace"));
  if (auto cs = doc.FindMember("collectionStats"); cs != doc.MemberEnd() && cs->value.IsObject()) {
    row("Collections", fmt::format("{} succeeded, {} failed, {} stored, last success {}",
                                   Member(cs->value, "totalSuccessCount"), Member(cs->value, "totalFailureCount"),
                                   Member(cs->value, "collectionsStoredCount"), Member(cs->value, "lastSuccessTime")));
  }
  if (doc.HasMember("clusterId")) row("Cluster ID", Member(doc, "clusterId"));
  if (auto ch = doc.FindMember("clusterHealth"); ch != doc.MemberEnd() && ch->value.IsObject()) {
    std::string failing;
    if (auto checks = ch->value.FindMember("checks"); checks != ch->value.MemberEnd() && checks->value.IsArray()) {
      for (const auto& c : checks->value.GetArray()) {
        if (!c.IsObject()) continue;
        failing += fmt::format("{}{} {} ({})", failing.empty() ? "" : ", ", Member(c, "check"), Member(c, "affected"),
                               Member(c, "severity"));
      }
    }
    row("Cluster health", fmt::format("{}/100{}", Member(ch->value, "score"),
                                      failing.empty() ? "" : "; failing: " + failing));
  }
  if (updated && age > kStaleAfter) {
    std::cout << "\nThe status is older than 5 minutes: the operator is not running or cannot write it.\n";
  }
  return 0;
}

}  // namespace kube9::cmd
