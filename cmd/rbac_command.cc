#include <algorithm>
#include <iostream>
#include <map>

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include "cmd/commands.h"
#include "collectors/collector_set.h"
#include "collectors/registry.h"
#include "sinks/status/configmap_publisher.h"
#include "sinks/status/dashboard.h"

namespace kube9::cmd {
namespace {

constexpr const char* kUsage =
    "Usage: kube9-operator rbac [flags]\n\n"
    "Prints the least-privilege RBAC the operator needs, as a v1 List: a ClusterRole with get, list\n"
    "and watch on exactly the resources the chosen collectors read (and get on /version), and a Role\n"
    "for its status and dashboard ConfigMaps in its namespace. Nothing else: no Secrets, no writes\n"
    "elsewhere.\n\nFlags:\n"
    "  --collectors list      Collectors to grant (default: all but the opt-in ones; same names as\n"
    "                         serve --collectors).\n"
    "  -n, --namespace name   Namespace of the operator (default: $POD_NAMESPACE, else kube9-system).\n"
    "  --name name            Name of the ClusterRole and Role (default: kube9-operator).\n"
    "  -h, --help             Show this help.\n";

using Writer = rapidjson::PrettyWriter<rapidjson::StringBuffer>;

void Str(Writer& w, std::string_view s) { w.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); }

void Strings(Writer& w, const std::vector<std::string>& items) {
  w.StartArray();
  for (const auto& i : items) Str(w, i);
  w.EndArray();
}

void Metadata(Writer& w, const std::string& name, const std::string* ns) {
  Str(w, "metadata");
  w.StartObject();
  Str(w, "name");
  Str(w, name);
  if (ns) {
    Str(w, "namespace");
    Str(w, *ns);
  }
  Str(w, "labels");
  w.StartObject();
  Str(w, "app.kubernetes.io/name");
  Str(w, "kube9-operator");
  w.EndObject();
  w.EndObject();
}

void Rule(Writer& w, const std::vector<std::string>& groups, const std::vector<std::string>& resources,
          const std::vector<std::string>& names, const std::vector<std::string>& verbs) {
  w.StartObject();
  Str(w, "apiGroups");
  Strings(w, groups);
  Str(w, "resources");
  Strings(w, resources);
  if (!names.empty()) {
    Str(w, "resourceNames");
    Strings(w, names);
  }
  Str(w, "verbs");
  Strings(w, verbs);
  w.EndObject();
}

}  // namespace

int Rbac(const std::vector<std::string>& args, const config::Environment& env) {
  auto split = config::SplitArgs(args, {"--collectors", "--namespace", "-n", "--name"});
  if (split.help) {
    std::string names;
    for (const auto& r : collectors::Registry()) {
      names += (names.empty() ? "" : ", ") + std::string(r.kind.name) + (r.opt_in ? " (opt-in)" : "");
    }
    std::cout << kUsage << "\nCollectors: " << names << ".\n";
    return 0;
  }
  config::Problems problems = split.problems;
  for (const auto& p : split.positional) problems.push_back("unexpected argument '" + p + "'");
  // The same parser as serve, so the names and their validation cannot drift apart.
  std::vector<std::string> serve_args;
  std::string name = "kube9-operator";
  for (const auto& [k, v] : split.options) {
    if (k == "--name") name = v;
    else serve_args.push_back((k == "-n" ? std::string("--namespace") : k) + "=" + v);
  }
  auto cfg = ParseServeFlags(serve_args, env);
  if (!cfg.ok()) problems.insert(problems.end(), cfg.error().begin(), cfg.error().end());
  if (!problems.empty()) return ReportProblems("rbac", problems);

  // One rule per API group, by group name, resources in the registry's order (as the chart's
  // ClusterRole renders them).
  std::map<std::string, std::vector<std::string>> by_group;
  for (const auto& r : collectors::AllResources()) {
    if (std::find(cfg->collectors.begin(), cfg->collectors.end(), r.name) == cfg->collectors.end()) continue;
    by_group[std::string(r.api_group)].emplace_back(r.name);
  }
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.SetIndent(' ', 2);
  w.StartObject();
  Str(w, "apiVersion"); Str(w, "v1");
  Str(w, "kind"); Str(w, "List");
  Str(w, "items");
  w.StartArray();
  w.StartObject();
  Str(w, "apiVersion"); Str(w, "rbac.authorization.k8s.io/v1");
  Str(w, "kind"); Str(w, "ClusterRole");
  Metadata(w, name, nullptr);
  Str(w, "rules");
  w.StartArray();
  for (const auto& [group, resources] : by_group) Rule(w, {group}, resources, {}, {"get", "list", "watch"});
  w.StartObject();
  Str(w, "nonResourceURLs");
  Strings(w, {"/version"});
  Str(w, "verbs");
  Strings(w, {"get"});
  w.EndObject();
  w.EndArray();
  w.EndObject();
  w.StartObject();
  Str(w, "apiVersion"); Str(w, "rbac.authorization.k8s.io/v1");
  Str(w, "kind"); Str(w, "Role");
  Metadata(w, name, &cfg->pod_namespace);
  Str(w, "rules");
  w.StartArray();
  // Server-side apply creates the status ConfigMap the first time (create cannot be limited
  // by name) and patches it afterwards; `status` reads it.
  Rule(w, {""}, {"configmaps"}, {}, {"create"});
  Rule(w, {""}, {"configmaps"}, {sinks::kStatusConfigMapName, sinks::kDashboardConfigMapName},
       {"get", "patch", "update"});
  w.EndArray();
  w.EndObject();
  w.EndArray();
  w.EndObject();
  std::cout << buf.GetString() << "\n";
  return 0;
}

}  // namespace kube9::cmd
