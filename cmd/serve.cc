#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <future>
#include <iostream>
#include <thread>

#include <prometheus/registry.h>

#include "assessment/scheduler.h"
#include "base/log.h"
#include "base/thread.h"
#include "base/time_format.h"
#include "base/version.h"
#include "cmd/commands.h"
#include "cmd/pro_tier.h"
#include "cmd/thread_supervisor.h"
#include "cmd/web_security.h"
#include "collectors/collector_set.h"
#include "collectors/discovery.h"
#include "collectors/gitops_summary.h"
#include "collectors/ksm/registry.h"
#include "collectors/sampler.h"
#include "exporter/assessment_metrics.h"
#include "exporter/cluster_metrics.h"
#include "exporter/endpoints.h"
#include "exporter/events_metrics.h"
#include "exporter/gitops_metrics.h"
#include "exporter/health.h"
#include "exporter/operator_metrics.h"
#include "exporter/pro_metrics.h"
#include "exporter/process_metrics.h"
#include "gitops/argocd_api.h"
#include "gitops/detection.h"
#include "gitops/gitops_loop.h"
#include "http/openssl_transport.h"
#include "http/server.h"
#include "kube/client.h"
#include "kube/cluster_access.h"
#include "sinks/collections/identity.h"
#include "sinks/collections/scheduler.h"
#include "sinks/events/event_history.h"
#include "sinks/status/assessment_block.h"
#include "sinks/status/configmap_publisher.h"
#include "sinks/status/dashboard.h"
#include "sinks/status/gitops_applications.h"
#include "sinks/status/gitops_blocks.h"
#include "sinks/status/status_loop.h"
#include "sinks/status/status_report.h"

namespace kube9::cmd {
namespace {

// The whole shutdown must finish within 5 s (PRODUCT.md §2); the final write gets most of it.
constexpr base::Millis kShutdownBudget{4'500};
constexpr base::Millis kFinalWriteTimeout{3'000};
// PRODUCT.md §2: degraded when a core collector "has been failing for longer than a few
// intervals"; a few = 3 sample intervals (45 s by default).
constexpr int kCollectorFailureIntervals = 3;
// The resource-tree probe waits no longer than this for Argo CD (PRODUCT.md §11).
constexpr base::Millis kArgoCdProbeTimeout{5'000};

}  // namespace

// Where the concrete classes meet. Threads: main (waits for a signal), the status loop, the
// gitops loop, and the HTTP server's I/O thread and two workers.
int Serve(const std::vector<std::string>& args, const config::Environment& env) {
  for (const auto& a : args) {
    if (a == "--help" || a == "-h") {
      std::cout << config::ServeUsage();
      return 0;
    }
  }
  auto parsed = ParseServeFlags(args, env);
  if (!parsed.ok()) return ReportProblems("serve", parsed.error());
  const config::Config& cfg = *parsed;
  log::Configure(cfg.log_level, cfg.log_format);
  // The web config is checked before anything starts: a mistake stops here with every problem.
  base::SystemClock clock;
  prometheus::Registry registry;
  auto web = LoadWebSecurity(cfg.web_config_file, registry, clock);
  if (!web.ok()) return ReportProblems("serve", web.error());
  auto argocd_settings = gitops::MakeArgoCdSettings(cfg.argocd_namespace, cfg.argocd_api_base_url,
                                                    cfg.argocd_token_file, cfg.argocd_ca_file);
  if (!argocd_settings.ok()) return ReportProblems("serve", {argocd_settings.error()});
  // glibc gives each thread its own arena; with a watch thread per collector that multiplies
  // freed-but-kept memory. Two arenas are plenty for a few mostly idle threads.
  mallopt(M_ARENA_MAX, 2);
  // A scrape of the kube-state-metrics families builds megabytes of reply. glibc's default
  // mmap threshold rises to 32 MiB after the first such buffer is freed, after which they come
  // from the heap and their pages are kept; a fixed 1 MiB threshold maps and unmaps them.
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
  // Test-only (docs/development.md "Threads"): makes a named thread throw; inert unless set.
  if (auto fault = env.find("KUBE9_FAULT_INJECTION"); fault != env.end() && !fault->second.empty()) {
    if (!base::ConfigureFaultInjection(fault->second)) {
      std::cerr << "kube9-operator serve: KUBE9_FAULT_INJECTION must be throw:<thread>[:once]\n";
      return 2;
    }
    log::Warn("test-only fault injection is on", {{"spec", fault->second}});
  }

  // Signals are taken synchronously by the main thread; every thread started later inherits
  // the mask, so none is interrupted by them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto access = kube::ResolveClusterAccess(cfg.kubeconfig, cfg.kube_context, env, clock);
  if (!access.ok()) {
    log::Error("cannot configure Kubernetes access", {{"error", access.error()}});
    return ReportClusterAccessProblem("serve", access.error());
  }
  log::Info("starting kube9-operator", {{"version", base::kVersion},
                                        {"commit", base::kGitCommit},
                                        {"namespace", cfg.pod_namespace},
                                        {"api_server", access->server},
                                        {"credentials", access->source},
                                        {"status_interval", base::FormatDuration(cfg.status_interval)},
                                        {"mode", cfg.api_key_configured() ? "enabled" : "operated"}});

  // Sharded (--total-shards > 1): shard 0 is the status writer, which also uploads, keeps the
  // events history and runs the assessment and GitOps discovery over every object; the other
  // shards hold and serve their share of the objects only (docs/ksm-compatibility.md "Sharding").
  const bool writer = cfg.status_writer();
  const bool sharded = cfg.ksm_total_shards > 1;
  if (sharded) {
    log::Info(writer ? "shard 0: writing the status, serving this shard's metrics"
                     : "not shard 0: serving this shard's metrics only (no status, uploads, events history, "
                       "assessment or GitOps discovery)",
              {{"shard", cfg.ksm_shard}, {"total_shards", cfg.ksm_total_shards}});
  }

  exporter::OperatorMetrics metrics(registry);
  if (!writer) metrics.NotStatusWriter();
  exporter::ProcessMetrics process_metrics;
  exporter::HealthState health(clock);

  http::OpenSslTransport kube_transport(access->trust, std::string("kube9-operator/") + base::kVersion);
  kube::Client client(std::move(access).value(), kube_transport, clock, &metrics);

  sinks::StatusModel model(cfg.pod_namespace, cfg.api_key_configured());
  // API discovery, at start and then every --discovery-interval, on the gitops thread: the
  // optional collectors (VPA, Argo CD, Flux) start and stop with their APIs, the GitOps
  // detection and the assessment's add-on checks read it (collectors/discovery.h).
  kube::ApiDiscovery api_discovery(client, clock);
  collectors::ListOptionalResources(api_discovery);
  // GitOps awareness (§11): Argo CD and Flux as discovery shows them, and the resource-tree
  // probe, on their own thread so that neither can hold up a status write.
  http::OpenSslTransport argocd_transport(gitops::ArgoCdTrust(*argocd_settings),
                                          std::string("kube9-operator/") + base::kVersion);
  gitops::ArgoCdApi argocd_api(*argocd_settings, argocd_transport);
  gitops::Detector gitops_detector(api_discovery, client, clock, argocd_settings->ns);
  const base::Millis gitops_budget =
      3 * std::max(cfg.status_interval, cfg.discovery_interval) + std::chrono::minutes(3);
  if (writer) health.RegisterLoop(gitops::GitOpsLoop::kLoopName, gitops_budget);
  gitops::GitOpsLoop gitops_loop(
      gitops_detector,
      [&argocd_api](base::Millis timeout, const base::StopSignal* cancel) { return argocd_api.Probe(timeout, cancel); },
      clock, {cfg.discovery_interval, cfg.status_interval, kArgoCdProbeTimeout},
      [&model](const gitops::GitOpsSnapshot& snapshot, const std::optional<gitops::ResourceTreeProbe>& probe) {
        auto blocks = sinks::BlocksFromDetection(snapshot, probe);
        model.SetGitOps(std::move(blocks.argocd), std::move(blocks.gitops));
      },
      [&health] { health.Heartbeat(gitops::GitOpsLoop::kLoopName); });
  // The events history: off (and saying why on / and in the logs) when its data directory is
  // unusable; the operator runs on without it.
  exporter::EventsMetrics events_metrics(registry);
  std::unique_ptr<sinks::events::EventHistory> history;
  std::string events_state = "off: the events collector is not enabled (--collectors)";
  if (!writer) {
    events_state = "off: shard 0 keeps the events history";
  } else if (std::find(cfg.collectors.begin(), cfg.collectors.end(), "events") != cfg.collectors.end()) {
    sinks::events::HistoryOptions options;
    options.path = cfg.data_path + "/" + sinks::events::kStoreFileName;
    options.retention = cfg.events_retention;
    options.max_bytes = cfg.events_max_bytes;
    auto opened = sinks::events::EventHistory::Open(options, clock, &events_metrics);
    if (opened.ok()) {
      history = std::move(opened).value();
      events_state = "recording to " + options.path;
      log::Info("events history on", {{"path", options.path},
                                      {"retention", base::FormatDuration(cfg.events_retention)},
                                      {"max_bytes", cfg.events_max_bytes}});
    } else {
      events_state = "off: " + opened.error();
      log::Warn("events history off", {{"reason", opened.error()}});
    }
  }
  events_metrics.SetEnabled(history != nullptr);
  // A thread that cannot be restarted stops the operator the way SIGTERM does.
  ThreadSupervisor supervisor(metrics, model, clock, [] { kill(getpid(), SIGTERM); });
  const std::vector<std::string>& enabled_collectors = cfg.collectors;
  // The kube-state-metrics-compatible families: their own compact stores, fed by the same watches.
  std::unique_ptr<collectors::ksm::KsmStores> ksm;
  if (cfg.ksm_enabled) {
    collectors::ksm::Options options;
    options.labels_allowlist = cfg.ksm_labels_allowlist;
    options.annotations_allowlist = cfg.ksm_annotations_allowlist;
    options.metric_allowlist = cfg.ksm_metric_allowlist;
    options.metric_denylist = cfg.ksm_metric_denylist;
    options.shard = cfg.ksm_shard;
    options.total_shards = cfg.ksm_total_shards;
    ksm = std::make_unique<collectors::ksm::KsmStores>(enabled_collectors, options);
    std::string served;
    for (const auto& r : ksm->Resources()) served += (served.empty() ? "" : ",") + r;
    log::Info("kube-state-metrics families on", {{"resources", served}});
  }
  collectors::CollectorSet collector_set(
      enabled_collectors, client, clock, &metrics, 500, history.get(),
      [&ksm](std::string_view resource) { return ksm ? ksm->HandlerFor(resource) : nullptr; },
      collectors::Sharding{cfg.ksm_shard, cfg.ksm_total_shards, writer});
  // VPA, Argo CD or Flux installed or removed: their collectors start or stop (docs/metrics.md).
  api_discovery.OnChange([&collector_set](const kube::DiscoverySnapshot& snapshot) {
    collector_set.SetServedApis(collectors::ServedApisOf(snapshot));
  });

  // Collections: built in both tiers; sent only in Pro tier, kept in a memory ring otherwise.
  const bool uploads = writer && cfg.api_key_configured();
  if (!writer && cfg.api_key_configured()) log::Info("Pro tier: shard 0 registers and uploads, not this shard");
  exporter::ProMetrics pro_metrics(registry, uploads, cfg.spool_max_bytes);
  sinks::collections::IdentityResolver identity(client);
  sinks::collections::Scheduler* scheduler_ptr = nullptr;  // set below; registration starts after it
  sinks::StatusLoop* status_loop_ptr = nullptr;            // likewise
  std::unique_ptr<ProTier> pro;
  if (uploads) {
    model.SetRegistration(false, std::nullopt, "registering with kube9-server");
    auto created = ProTier::Create(
        cfg, clock, pro_metrics,
        [&]() -> std::optional<sinks::registration::RegistrationRequest> {
          auto latest = scheduler_ptr->Latest();
          if (!latest || latest->kubernetes_version.empty()) return std::nullopt;
          auto id = identity.Get();
          if (!id) return std::nullopt;
          return sinks::registration::RegistrationRequest{id->identifier(), latest->kubernetes_version,
                                                          latest->node_count};
        },
        [&](const sinks::registration::Registration& r) {
          model.SetRegistration(r.registered(), r.registered() ? std::optional(r.cluster_id) : std::nullopt, r.reason);
          scheduler_ptr->SetMetrics(r.registered() && r.configuration.metrics_enabled,
                                    std::chrono::seconds(r.configuration.metrics_interval_seconds));
          // kube9-server's interval while registered and it gives one; the configured one otherwise.
          const auto& server_interval = r.configuration.status_update_interval_seconds;
          status_loop_ptr->SetInterval(r.registered() && server_interval ? std::chrono::seconds(*server_interval)
                                                                         : cfg.status_interval);
        });
    if (!created.ok()) {
      log::Error("cannot start the Pro tier", {{"error", created.error()}});
      std::cerr << "kube9-operator serve: " << created.error() << "\n";
      return 2;
    }
    pro = std::move(created).value();
  }
  sinks::collections::MemoryRing ring;
  sinks::collections::Scheduler::Options schedule;
  schedule.cluster_metadata_interval = cfg.cluster_metadata_interval;
  schedule.resource_inventory_interval = cfg.resource_inventory_interval;
  schedule.resource_configuration_patterns_interval = cfg.resource_configuration_patterns_interval;
  schedule.initial_delay = cfg.collection_initial_delay;
  schedule.max_batch_age = cfg.upload_max_batch_age;
  assessment::LastRun last_assessment;  // written by the sampler's thread (below), read here
  schedule.assessment = [&last_assessment]() -> std::optional<std::vector<assessment::PillarSummary>> {
    auto report = last_assessment.Get();
    if (!report) return std::nullopt;
    return assessment::SummarizePillars(*report);
  };
  sinks::collections::Scheduler scheduler(
      collector_set.stores(), clock, [&identity] { return identity.Get(); },
      pro ? static_cast<sinks::collections::PayloadSink&>(*pro) : ring, schedule, &sinks::collections::NewCollectionId,
      &pro_metrics);
  scheduler_ptr = &scheduler;
  exporter::ClusterMetrics cluster_metrics;
  exporter::GitOpsMetrics gitops_metrics;
  collectors::GitOpsSummarizer gitops_summarizer;  // the sampler's thread only
  // The Well-Architected assessment (docs/assessment.md): run by the sampler's thread once the
  // collectors are synced, then every --assessment.interval; its block is in the status from
  // the start (outcome "none" until the first run).
  exporter::AssessmentMetrics assessment_metrics;
  const auto assessment_interval = std::chrono::duration_cast<std::chrono::seconds>(cfg.assessment_interval);
  model.SetAssessment(sinks::MakeAssessmentBlock(last_assessment, assessment_interval));
  assessment::ScheduledAssessment scheduled_assessment(
      collector_set.stores(), clock, cfg.assessment_interval,
      assessment::SelfFacts{!cfg.telemetry_path.empty(), true, cfg.log_format == log::Format::kJson ? "json" : "logfmt"},
      last_assessment, [&](const assessment::Report& report) {
        assessment_metrics.Update(report);
        model.SetAssessment(sinks::MakeAssessmentBlock(last_assessment, assessment_interval));
      },
      // Collectors that never sync hold the assessment back as long as the status takes to call
      // them failing; then it runs without them (their checks skipped).
      kCollectorFailureIntervals * cfg.sample_interval);
  sinks::DashboardModel dashboard;  // the sampler's counts, written with the status (§12)
  health.SetCondition("collectors", false, "waiting for the first LIST of every collector");
  // The sampler samples at least once an interval, synced or not: a silent one is stuck.
  health.RegisterLoop(collectors::Sampler::kLoopName, 3 * cfg.sample_interval + std::chrono::seconds(60));
  collectors::Sampler sampler(
      collector_set, client, clock, cfg.sample_interval,
      {[&](const std::shared_ptr<const collectors::ClusterAggregates>& sample,
           const std::vector<std::string>& unsynced) {
        health.Heartbeat(collectors::Sampler::kLoopName);
        // GitOps applications do not wait for the core collectors (nor hold them back).
        const collectors::GitOpsSummary gitops_apps =
            gitops_summarizer.Summarize(collectors::GitOpsSummarizer::StoresOf(collector_set), clock.WallNow());
        gitops_metrics.Update(gitops_apps);
        model.SetGitOpsApplications(sinks::ApplicationCountsOf(gitops_apps, collectors::GitOpsTool::kArgoCd),
                                    sinks::ApplicationCountsOf(gitops_apps, collectors::GitOpsTool::kFlux));
        for (const auto& s : collector_set.Stats()) metrics.SetStoreStats(s.resource, s.objects, s.skipped);
        // The status is degraded while a collector has failed for more than 3 sample intervals
        // (docs/status-configmap.md), synced or not: one that never lists is failing too.
        model.SetCollectorProblem(collectors::DescribeCollectorFailures(
            collector_set.Failures(), kCollectorFailureIntervals * cfg.sample_interval));
        if (writer) {
          scheduled_assessment.SetGitOps(collectors::ReadDeliverySignals(gitops_apps));
          // The add-on checks follow discovery: VPA installed later is assessed once its
          // collector has listed, without waiting for the next interval.
          const kube::DiscoverySnapshot discovered = api_discovery.Snapshot();
          scheduled_assessment.SetDiscovered(
              discovered.looked ? std::optional(collectors::GroupsOf(discovered.groups)) : std::nullopt,
              collector_set.SyncedOptional());
          // The first run waits for discovery and the optional collectors' first LIST too (or
          // the grace period), so that it does not judge VPA's checks without VPA's objects.
          std::vector<std::string> waiting = unsynced;
          for (auto& name : collector_set.UnsyncedOptional()) waiting.push_back(std::move(name));
          if (!discovered.looked) waiting.emplace_back("API discovery");
          scheduled_assessment.OnSample(*sample, waiting);  // waits for the sync, or a grace period
        }
        if (!unsynced.empty()) {
          std::string names;
          for (const auto& n : unsynced) names += (names.empty() ? "" : ", ") + n;
          health.SetCondition("collectors", false, "waiting for the first LIST of: " + names);
          return;  // a partial picture would show false alarms
        }
        health.SetCondition("collectors", true, "synced");
        if (!writer) {
          // This shard's stores hold its objects only: the sample is its share. The families
          // that are not shares (cluster info, score) are shard 0's.
          cluster_metrics.Update(*sample, nullptr);
          malloc_trim(0);
          return;
        }
        sinks::DashboardData board = sinks::DashboardFromStores(collector_set.stores());
        board.collectors_running = static_cast<std::int64_t>(collector_set.Stats().size()) + (history ? 1 : 0);
        board.last_collection = clock.WallNow();
        dashboard.Set(board);
        if (sharded) {
          // Shard 0 holds every object (for the status): its metrics count its share only.
          cluster_metrics.Update(collectors::Aggregate(collector_set.stores(), clock.WallNow(),
                                                       sample->kubernetes_version, collectors::Scope::kShard),
                                 sample.get());
        } else {
          cluster_metrics.Update(*sample);
        }
        scheduler.OnSample(sample);
        const auto stats = scheduler.Stats();
        model.SetCollectionStats({stats.success, stats.failure, stats.stored, stats.last_success});
        // Hand back what relists and large LIST pages freed, so RSS follows the stores.
        malloc_trim(0);
        sinks::ClusterHealth ch;
        ch.score = sample->score;
        for (const auto& c : sample->checks) {
          if (c.affected > 0) {
            ch.checks.push_back({std::string(c.name), std::string(collectors::SeverityName(c.severity)), c.affected});
          }
        }
        model.SetClusterHealth(std::move(ch));
      }});

  exporter::Endpoints endpoints(cfg.telemetry_path, {&registry, &process_metrics, &cluster_metrics, &gitops_metrics,
                                                      &assessment_metrics},
                                health, metrics, [&model, &clock, &history, &events_state] {
                                  const sinks::StatusReport r = model.Current(clock.WallNow());
                                  std::string events = events_state;
                                  if (history && !history->Problem().empty()) events = "off: " + history->Problem();
                                  return exporter::LandingInfo{r.mode, r.tier, r.health, r.ns, events};
                                });
  if (web->basic_auth) endpoints.RequireBasicAuth(web->basic_auth.get());
  endpoints.AddHeaders(web->headers);
  endpoints.AddKsmFamilies(ksm.get(), cfg.ksm_gzip);
  http::ServerOptions server_options;
  server_options.host = cfg.listen_host;
  server_options.port = cfg.listen_port;
  server_options.probe_socket = cfg.probe_socket;
  server_options.observer = &metrics;
  if (web->tls) server_options.tls_context = web->tls->Hook();
  server_options.thread_failures = &supervisor;
  auto server = http::Server::Start(std::move(server_options), endpoints);
  if (!server.ok()) {
    log::Error("cannot start the HTTP server", {{"error", server.error()}});
    std::cerr << "kube9-operator serve: " << server.error() << "\n";
    return 1;
  }
  log::Info("serving HTTP",
            {{"address", (cfg.listen_host.empty() ? "" : cfg.listen_host) + ":" + std::to_string(cfg.listen_port)},
             {"metrics_path", cfg.telemetry_path},
             {"probe_socket", cfg.probe_socket.empty() ? "none" : cfg.probe_socket}});

  base::StopSignal stop;
  sinks::ConfigMapStatusPublisher status_publisher(client, cfg.pod_namespace);
  sinks::StatusWithDashboardPublisher publisher(status_publisher, client, cfg.pod_namespace, dashboard);
  // Not shard 0: no status loop runs, so neither its liveness nor its readiness is tracked;
  // readiness is then the collectors' first LISTs.
  sinks::StatusLoop status_loop(model, publisher, clock, cfg.status_interval, &metrics, writer ? &health : nullptr);
  status_loop_ptr = &status_loop;
  // The status loop is not restarted: it writes the final status, so its failure ends the
  // operator (ThreadSupervisor). The other loops are restarted after a backoff.
  std::thread status_thread;
  if (writer) status_thread = base::StartThread("status", [&] { status_loop.Run(stop); }, supervisor);
  std::thread events_thread;
  if (history) {
    events_thread = base::StartRestartingThread(
        "events", [&] { history->Run(stop); },  // at stop, what is queued is written
        supervisor, clock, stop);
  }
  collector_set.Start(stop, supervisor);
  std::thread sampler_thread = base::StartRestartingThread(
      "sampler", [&] { sampler.Run(stop); }, supervisor, clock, stop);
  std::thread gitops_thread, collections_thread;
  if (writer) {
    gitops_thread = base::StartRestartingThread(
        "gitops", [&] { gitops_loop.Run(stop); }, supervisor, clock, stop);
    collections_thread = base::StartRestartingThread(
        "collections", [&] { scheduler.Run(stop); },  // at stop, the open metrics batch goes to the spool
        supervisor, clock, stop);
  }
  if (pro) pro->Start(stop, supervisor);

  int sig = 0;
  sigwait(&signals, &sig);
  if (const auto fatal = supervisor.fatal_error()) {
    log::Error("shutting down after a thread failure", {{"error", *fatal}});
  } else {
    log::Info("shutting down", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
  }
  const auto deadline = std::chrono::steady_clock::now() + kShutdownBudget;
  stop.Stop();
  // What matters is the final status write; everything else stops alongside it.
  std::promise<void> others_stopped;
  std::thread stopper = base::StartThread(
      "stopper",
      [&] {
        sampler_thread.join();
        health.UnregisterLoop(collectors::Sampler::kLoopName);
        collector_set.Join();
        if (events_thread.joinable()) events_thread.join();
        if (collections_thread.joinable()) collections_thread.join();
        if (gitops_thread.joinable()) gitops_thread.join();
        health.UnregisterLoop(gitops::GitOpsLoop::kLoopName);
        if (pro) pro->Join();
        server->reset();
        others_stopped.set_value();
      },
      supervisor);
  if (writer) {
    status_thread.join();  // an in-flight write notices the stop within about a second
    const auto left = std::chrono::duration_cast<base::Millis>(deadline - std::chrono::steady_clock::now());
    status_loop.WriteFinal(std::clamp(left - base::Millis(500), base::Millis(500), kFinalWriteTimeout));
  }
  if (others_stopped.get_future().wait_until(deadline) != std::future_status::ready) {
    // The status is final; do not overrun the promised 5 s for threads stuck in I/O.
    log::Warn("exiting before every thread stopped, to stay within the shutdown deadline");
    std::_Exit(supervisor.fatal_error() ? 1 : 0);
  }
  stopper.join();
  log::Info("stopped");
  return supervisor.fatal_error() ? 1 : 0;
}

}  // namespace kube9::cmd
