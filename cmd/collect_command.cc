#include <iostream>
#include <thread>

#include "base/log.h"
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
#include "sinks/collections/identity.h"
#include "sinks/collections/payloads.h"

namespace kube9::cmd {
namespace {

constexpr const char* kUsage =
    "Usage: kube9-operator collect --dry-run --type TYPE [flags]\n\n"
    "Lists the cluster as the operator does and prints exactly the sanitized payload (the\n"
    "envelope, byte for byte before gzip) that a collection of TYPE would upload to kube9-server,\n"
    "then a newline. Sends nothing.\n\n"
    "Types: cluster-metadata, resource-inventory, resource-configuration-patterns, metrics-batch\n"
    "(one sample).\n\nFlags:\n"
    "  --dry-run              Print the payload instead of sending it (required).\n"
    "  --type TYPE            The collection type.\n"
    "  --pretty               Indent the JSON for reading (then it is no longer the exact bytes).\n"
    "  --kubeconfig path      Kubeconfig to use (default: $KUBECONFIG, in-cluster, ~/.kube/config).\n"
    "  --context name         Kubeconfig context to use.\n"
    "  --timeout duration     How long to wait for the LISTs (default 60s).\n"
    "  -h, --help             Show this help.\n";

}  // namespace

int Collect(const std::vector<std::string>& args, const config::Environment& env) {
  bool dry_run = false;
  bool pretty = false;
  std::vector<std::string> valued_args;
  for (const auto& a : args) {
    if (a == "--dry-run") {
      dry_run = true;
    } else if (a == "--pretty") {
      pretty = true;
    } else {
      valued_args.push_back(a);
    }
  }
  auto split = config::SplitArgs(valued_args, {"--type", "--kubeconfig", "--context", "--timeout"});
  if (split.help) {
    std::cout << kUsage;
    return 0;
  }
  config::Problems problems = split.problems;
  for (const auto& p : split.positional) problems.push_back("unexpected argument '" + p + "'");
  std::optional<sinks::collections::CollectionType> type;
  std::string kubeconfig, context;
  base::Millis timeout{std::chrono::seconds(60)};
  bool type_given = false;
  for (const auto& [k, v] : split.options) {
    if (k == "--type") {
      type_given = true;
      type = sinks::collections::ParseType(v);
      if (!type) {
        problems.push_back("flag --type=" + v +
                           ": must be cluster-metadata, resource-inventory, resource-configuration-patterns or "
                           "metrics-batch");
      }
    } else if (k == "--kubeconfig") {
      kubeconfig = v;
    } else if (k == "--context") {
      context = v;
    } else if (auto d = base::ParseDuration(v); d && *d > base::Millis(0)) {
      timeout = *d;
    } else {
      problems.push_back("flag --timeout=" + v + ": must be a duration such as 60s");
    }
  }
  if (!type_given) problems.push_back("flag --type is required");
  if (!dry_run) {
    problems.push_back("--dry-run is required: collect only prints what would be sent (the operator uploads from serve)");
  }
  if (!problems.empty()) return ReportProblems("collect", problems);

  log::LogToStderr();  // stdout carries the payload only
  log::Configure(log::Level::kWarn, log::Format::kLogfmt);
  base::SystemClock clock;
  auto access = kube::ResolveClusterAccess(kubeconfig, context, env, clock);
  if (!access.ok()) return ReportClusterAccessProblem("collect", access.error());
  http::OpenSslTransport transport(access->trust, std::string("kube9-operator/") + base::kVersion);
  kube::Client client(std::move(access).value(), transport, clock);
  // The optional collectors (VPA, Argo CD, Flux) are not started: no payload reads them, and
  // the assessment's counts below judge no add-on (no discovery: those checks are skipped).
  std::vector<std::string> enabled = collectors::DefaultCollectorNames();
  collectors::CollectorSet collectors(enabled, client, clock, nullptr);
  base::StopSignal stop;
  collectors.Start(stop, base::LogOnlyThreadFailures());  // a one-shot command: a failure shows as unsynced
  const auto deadline = clock.Now() + timeout;
  while (!collectors.Unsynced().empty() && clock.Now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const std::vector<std::string> unsynced = collectors.Unsynced();
  std::shared_ptr<const collectors::ClusterAggregates> sample;
  collectors::Sampler sampler(
      collectors, client, clock, std::chrono::seconds(60),
      {[&](const std::shared_ptr<const collectors::ClusterAggregates>& a, const std::vector<std::string>&) {
        sample = a;
      }});
  if (unsynced.empty()) sampler.SampleOnce();
  auto identity = sinks::collections::IdentityResolver(client).Get();
  stop.Stop();
  collectors.Join();
  if (!unsynced.empty()) {
    std::string names;
    for (const auto& n : unsynced) names += (names.empty() ? "" : ", ") + n;
    std::cerr << "kube9-operator collect: the first LIST did not complete in time for: " << names << "\n";
    return 1;
  }
  if (!identity) {
    std::cerr << "kube9-operator collect: cannot read the cluster's identity (the kube-system namespace)\n";
    return 1;
  }
  const std::string id = sinks::collections::NewCollectionId();
  // A metrics-batch comes out as a batch of this one sample.
  // The assessment's counts per pillar, as the operator's latest run would give them.
  const assessment::Report report = assessment::Run(
      assessment::CatalogueChecks(), {}, assessment::Inputs{collectors.stores(), clock.WallNow(), {true, true, ""}, sample.get()},
      clock);
  const std::vector<assessment::PillarSummary> pillars = assessment::SummarizePillars(report);
  const std::string json = sinks::collections::BuildCollection(*type, {collectors.stores(), *sample, &pillars}, *identity,
                                                               clock.WallNow(), id);
  std::cout << (pretty ? sinks::collections::PrettyJson(json) : json) << "\n";
  return 0;
}

}  // namespace kube9::cmd
