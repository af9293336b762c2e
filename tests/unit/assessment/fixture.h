#pragma once

#include <string>
#include <string_view>

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "assessment/catalogue.h"
#include "assessment/check.h"
#include "collectors/aggregates.h"
#include "collectors/registry.h"

// A cluster for check tests: every core collector's store (or only those named), filled with
// API objects as JSON, so that each test goes through extraction as the operator does.
namespace kube9::assessment::testing {

inline const base::WallTime kNow{std::chrono::seconds(1795774800)};  // 2026-11-27T10:20:00Z

class Cluster {
 public:
  Cluster() {
    for (const auto& r : collectors::Registry()) {
      if (r.add_store != nullptr) r.add_store(stores_);
    }
  }
  // Only these collectors (the others are "disabled").
  explicit Cluster(std::initializer_list<std::string_view> enabled) {
    for (const auto& r : collectors::Registry()) {
      for (auto name : enabled) {
        if (r.kind.name == name && r.add_store != nullptr) r.add_store(stores_);
      }
    }
  }

  // Adds an object to the store of `collector` ("deployments", "nodes", ...).
  void Add(std::string_view collector, const std::string& json) {
    rapidjson::Document d;
    d.Parse(json.c_str());
    ASSERT_FALSE(d.HasParseError()) << json;
    auto* store = const_cast<collectors::StoreBase*>(stores_.FindByName(collector));
    ASSERT_NE(store, nullptr) << collector;
    store->OnEvent(kube::EventType::kAdded, d);
  }

  // A workload of `kind` ("deployments", "statefulsets", "daemonsets") with `replicas`, whose
  // pod template spec is `pod_spec` (JSON object members, without braces) and whose workload
  // spec and metadata get `spec_extra` and `metadata_extra` (JSON members, leading comma).
  void Workload(std::string_view kind, std::string_view ns, std::string_view name, int replicas,
                std::string_view pod_spec, std::string_view spec_extra = "", std::string_view metadata_extra = "",
                std::string_view template_metadata = "{}") {
    Add(kind, std::string(R"({"metadata":{"uid":")") + Uid() + R"(","namespace":")" + std::string(ns) +
                  R"(","name":")" + std::string(name) + "\"" + std::string(metadata_extra) +
                  R"(},"spec":{"replicas":)" + std::to_string(replicas) + std::string(spec_extra) +
                  R"(,"template":{"metadata":)" + std::string(template_metadata) + R"(,"spec":{)" +
                  std::string(pod_spec) + "}}}}");
  }
  void Deployment(std::string_view ns, std::string_view name, int replicas, std::string_view pod_spec,
                  std::string_view spec_extra = "", std::string_view metadata_extra = "") {
    Workload("deployments", ns, name, replicas, pod_spec, spec_extra, metadata_extra);
  }

  Result Run(std::string_view id, SelfFacts self = {}) {
    const Check* check = FindCheck(id);
    EXPECT_NE(check, nullptr) << id;
    if (check == nullptr) return {Status::kError, "no such check"};
    health_ = collectors::Aggregate(stores_, kNow, "");
    return check->Run(Inputs{stores_, kNow, std::move(self), &health_});
  }

  collectors::ClusterStores& stores() { return stores_; }

 private:
  std::string Uid() { return "00000000-0000-0000-0000-" + std::to_string(100000000000 + next_++); }
  collectors::ClusterStores stores_;
  collectors::ClusterAggregates health_;
  int next_ = 0;
};

// A container that passes every container-level check.
inline constexpr std::string_view kGoodContainer =
    R"({"name":"app","resources":{"requests":{"cpu":"100m","memory":"64Mi"},"limits":{"cpu":"200m","memory":"128Mi"}},)"
    R"("livenessProbe":{"httpGet":{"path":"/"}},"readinessProbe":{"httpGet":{"path":"/"}},)"
    R"("securityContext":{"runAsNonRoot":true,"capabilities":{"drop":["ALL"]}}})";

inline std::string Containers(std::string_view container) {
  return std::string(R"("containers":[)") + std::string(container) + "]";
}

}  // namespace kube9::assessment::testing
