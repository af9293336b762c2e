#pragma once

// Shared by the tests of the checks that read the assessment's collectors: stores filled from
// API objects as the watches would fill them, and the Inputs a check gets.
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "assessment/check.h"
#include "collectors/cluster_stores.h"
#include "collectors/discovery.h"

namespace kube9::assessment {

class DataCheckTest : public ::testing::Test {
 protected:
  // Adds the objects (JSON texts) to the store of `r`, creating it (the collector enabled).
  template <typename T>
  void Add(const collectors::Resource<T>& r, std::initializer_list<std::string> objects) {
    collectors::Store<T>* store = stores_.Find(r);
    if (store == nullptr) store = &stores_.Add(r);
    for (const auto& text : objects) {
      rapidjson::Document d;
      d.Parse(text.c_str());
      ASSERT_FALSE(d.HasParseError()) << text;
      store->OnListed(d);
    }
  }
  template <typename T>
  void Enable(const collectors::Resource<T>& r) {
    Add(r, {});
  }
  Result Run(const Check& check) const {
    Inputs in{stores_, base::WallTime(std::chrono::seconds(1'800'000'000)), {}};
    in.unsynced = unsynced_;
    in.api_groups = api_groups_;
    Result r = check.Run(in);
    EXPECT_EQ(r.message.find('\n'), std::string::npos) << "one line";
    return r;
  }
  void Serve(std::initializer_list<std::string> groups) {
    discovered_.served.insert(groups.begin(), groups.end());
    api_groups_ = &discovered_;
  }

  collectors::ClusterStores stores_;
  collectors::ApiGroups discovered_;
  const collectors::ApiGroups* api_groups_ = nullptr;
  std::vector<std::string> unsynced_;  // collectors enabled but not listed (e.g. RBAC denied)
};

// Objects' JSON with a namespace and a name, and the rest of the object's members.
inline std::string Object(const std::string& ns, const std::string& name, const std::string& rest = "") {
  std::string meta = ns.empty() ? R"({"metadata":{"name":")" + name + R"("}})"
                                : R"({"metadata":{"namespace":")" + ns + R"(","name":")" + name + R"("}})";
  if (rest.empty()) return meta;
  return meta.substr(0, meta.size() - 1) + "," + rest + "}";
}

}  // namespace kube9::assessment
