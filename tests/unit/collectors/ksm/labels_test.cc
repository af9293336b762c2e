#include "collectors/ksm/labels.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "collectors/ksm/intern.h"

namespace kube9::collectors::ksm {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

Pairs Convert(const char* json, std::vector<std::string> allow) {
  rapidjson::Document d;
  d.Parse(json);
  return PrometheusLabels("label", &d, allow);
}

TEST(LabelNameTest, SanitizesAndSnakeCasesAsKubeStateMetrics) {
  EXPECT_EQ(LabelNameOf("app.kubernetes.io/name"), "app_kubernetes_io_name");
  EXPECT_EQ(LabelNameOf("camelCaseKey"), "camel_case_key");
  EXPECT_EQ(LabelNameOf("ABc"), "abc");
  EXPECT_EQ(LabelNameOf("a1B2C"), "a1_b2_c");
  EXPECT_EQ(LabelNameOf("caf\xc3\xa9"), "caf_");  // one '_' per character, not per byte
}

TEST(PrometheusLabelsTest, OnlyAllowedKeysSortedByKey) {
  EXPECT_THAT(Convert(R"({"team":"a","app":"web","x":"1"})", {"team", "app"}),
              ::testing::ElementsAre(Pairs::value_type{"label_app", "web"}, Pairs::value_type{"label_team", "a"}));
  EXPECT_THAT(Convert(R"({"team":"a","app":"web"})", {"*"}), ::testing::SizeIs(2));
  EXPECT_THAT(Convert(R"({"team":"a"})", {}), ::testing::IsEmpty());
  // "*" counts only first, as in kube-state-metrics.
  EXPECT_THAT(Convert(R"({"team":"a","app":"web"})", {"app", "*"}), ::testing::SizeIs(1));
}

TEST(PrometheusLabelsTest, CollidingNamesAreNumberedLikeKubeStateMetrics) {
  // "a-b", "a.b" and "a_b" all become label_a_b; sorted by key: "a-b" < "a.b" < "a_b".
  EXPECT_THAT(Convert(R"({"a_b":"3","a.b":"2","a-b":"1"})", {"*"}),
              ::testing::ElementsAre(Pairs::value_type{"label_a_b_conflict1", "1"},
                                     Pairs::value_type{"label_a_b_conflict2", "2"},
                                     Pairs::value_type{"label_a_b_conflict3", "3"}));
}

TEST(InternPoolTest, SharesOneCopyAndForgetsItWithTheLastUser) {
  InternPool pool;
  {
    Interned a = pool.Intern("default");
    Interned b = pool.Intern("default");
    EXPECT_EQ(a.view().data(), b.view().data());
    EXPECT_EQ(pool.size(), 1u);
    Interned c = std::move(a);
    EXPECT_EQ(c.view(), "default");
    EXPECT_EQ(a.view(), "");
  }
  EXPECT_EQ(pool.size(), 0u);
  EXPECT_EQ(pool.Intern("").view(), "");
  EXPECT_EQ(pool.size(), 0u);
}

// The text lives in the node's own allocation: values longer than a std::string keeps inline
// (image and container IDs), bytes that are not text, and thousands of them while the pool's
// table grows and shrinks under them, each read back whole and dropped with its last user.
TEST(InternPoolTest, KeepsEveryValueWholeWhileTheTableGrowsAndShrinks) {
  InternPool pool;
  std::vector<std::string> texts;
  for (int i = 0; i < 3000; ++i) {
    texts.push_back("containerd://" + std::string(static_cast<std::size_t>(i % 97), 'a' + i % 26) + std::to_string(i));
  }
  texts.push_back(std::string("nul\0inside", 10));  // a NUL inside
  std::vector<Interned> held;
  for (const auto& t : texts) held.push_back(pool.Intern(t));
  ASSERT_EQ(pool.size(), texts.size());
  for (std::size_t i = 0; i < texts.size(); ++i) ASSERT_EQ(held[i].view(), texts[i]) << i;
  EXPECT_EQ(held.back().view().size(), 10u);

  for (std::size_t i = 0; i < held.size(); i += 2) held[i] = Interned();  // every other one goes
  EXPECT_EQ(pool.size(), texts.size() / 2);
  for (std::size_t i = 1; i < texts.size(); i += 2) {
    ASSERT_EQ(held[i].view(), texts[i]) << i;
    ASSERT_EQ(pool.Intern(texts[i]).view().data(), held[i].view().data()) << "one copy, found again";
  }
}

}  // namespace
}  // namespace kube9::collectors::ksm
