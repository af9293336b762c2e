#include "assessment/catalogue.h"

#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace kube9::assessment {
namespace {

TEST(Catalogue, IdsAreUniqueAndNamedPillarDotName) {
  std::set<std::string_view> ids;
  const std::regex name_re("[a-z0-9]+(-[a-z0-9]+)*");
  for (const auto& c : Catalogue()) {
    const CheckInfo& i = c->info();
    EXPECT_TRUE(ids.insert(i.id).second) << "duplicate " << i.id;
    const std::string prefix = std::string(PillarName(i.pillar)) + ".";
    ASSERT_TRUE(i.id.starts_with(prefix)) << i.id << " is not in pillar " << PillarName(i.pillar);
    EXPECT_TRUE(std::regex_match(std::string(i.id.substr(prefix.size())), name_re)) << i.id;
    EXPECT_FALSE(i.name.empty()) << i.id;
    EXPECT_GE(i.remediation.size(), 20u) << i.id;
    EXPECT_EQ(i.remediation.find('\n'), std::string_view::npos) << i.id;
    EXPECT_EQ(FindCheck(i.id), c.get());
  }
  EXPECT_EQ(FindCheck("security.no-such-check"), nullptr);
}

TEST(Catalogue, IsOrderedByPillarThenId) {
  const auto& all = Catalogue();
  for (std::size_t i = 1; i < all.size(); ++i) {
    const CheckInfo &a = all[i - 1]->info(), &b = all[i]->info();
    EXPECT_TRUE(a.pillar < b.pillar || (a.pillar == b.pillar && a.id < b.id)) << a.id << " before " << b.id;
  }
}

TEST(Catalogue, HasTheChecksOfTheNodeJsOperatorThatThisBranchOwns) {
  for (std::string_view id : {"security.run-as-non-root",
                              "security.privileged-containers",
                              "security.capabilities-validation",
                              "security.hardcoded-secrets",
                              "reliability.replica-counts",
                              "reliability.spread-anti-affinity",
                              "reliability.resource-requests",
                              "reliability.resource-limits",
                              "reliability.liveness-readiness-probes",
                              "reliability.backup-dr-signals",
                              "performance-efficiency.node-affinity-and-placement",
                              "cost-optimization.resource-request-limit-ratios",
                              "cost-optimization.over-provisioning-detection",
                              "cost-optimization.spot-instance-usage",
                              "operational-excellence.kube9-operator-health-probes",
                              "operational-excellence.metrics-exposure",
                              "operational-excellence.logging-configuration",
                              "operational-excellence.audit-signals",
                              "operational-excellence.deployment-strategy",
                              "operational-excellence.gitops-delivery-signals",
                              "sustainability.resource-efficiency-signals",
                              "sustainability.workload-consolidation-signals",
                              "reliability.nodes-not-ready",
                              "reliability.pods-crash-looping",
                              "reliability.pods-pending-too-long",
                              "reliability.image-pull-failures",
                              "reliability.pods-oom-killed",
                              "reliability.workloads-unavailable",
                              "reliability.pvcs-pending",
                              "reliability.jobs-failed"}) {
    EXPECT_NE(FindCheck(id), nullptr) << id;
  }
}

// docs/assessment.md's catalogue table lists exactly the catalogue, with the same severities,
// so that the documentation cannot drift from `assess list`.
TEST(Catalogue, MatchesTheTableInDocsAssessmentMd) {
  std::ifstream in(std::string(KUBE9_TESTDATA) + "/../../../docs/assessment.md");
  ASSERT_TRUE(in) << "docs/assessment.md";
  std::map<std::string, std::string> documented;  // id -> severity
  const std::regex row(R"(^\| `([a-z-]+\.[a-z0-9-]+)` \| ([a-z]+) \|)");
  std::string line;
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_search(line, m, row)) {
      EXPECT_TRUE(documented.emplace(m[1], m[2]).second) << "twice: " << m[1];
    }
  }
  for (const auto& c : Catalogue()) {
    const CheckInfo& i = c->info();
    auto it = documented.find(std::string(i.id));
    if (it == documented.end()) {
      ADD_FAILURE() << i.id << " is not in docs/assessment.md's catalogue table";
      continue;
    }
    EXPECT_EQ(it->second, SeverityName(i.severity)) << i.id;
    documented.erase(it);
  }
  for (const auto& [id, severity] : documented) ADD_FAILURE() << id << " is documented but not in the catalogue";
}

}  // namespace
}  // namespace kube9::assessment
