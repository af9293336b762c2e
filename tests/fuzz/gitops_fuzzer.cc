// What the GitOps code reads from outside: discovery documents from the API server
// (/apis, /apis/<group>/<version>), an argocd-server Deployment, and Argo CD's answers (an error
// body, a resource tree passed on as it came). The input's first byte picks the reader.
// Invariants: no crash; a version kept is short and of version characters; an error message is
// UTF-8 and bounded; a tree accepted by ValidateJsonObject parses as one object with RapidJSON.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "base/json.h"
#include "fuzz_check.h"
#include "gitops/argocd_api.h"
#include "gitops/detection.h"
#include "kube/discovery.h"

namespace {

namespace gitops = kube9::gitops;

void Discovery(std::string_view body) {
  if (auto groups = kube9::kube::ParseApiGroupList(body); groups.ok()) {
    for (const auto& g : *groups) KUBE9_FUZZ_CHECK(!g.name.empty());
    (void)gitops::DetectFlux(*groups);
  }
  if (auto resources = kube9::kube::ParseApiResourceList(body); resources.ok()) {
    for (const auto& r : *resources) KUBE9_FUZZ_CHECK(!r.empty() && r.find('/') == std::string::npos);
  }
}

void Deployment(std::string_view body) {
  rapidjson::Document doc;
  if (!kube9::base::ParseJson(doc, body, kube9::base::JsonLimits{1 << 20, 64}).ok()) return;
  if (auto v = gitops::ArgoCdVersionFromDeployment(doc)) {
    KUBE9_FUZZ_CHECK(!v->empty() && v->size() <= gitops::kMaxVersionLength);
    for (char c : *v) KUBE9_FUZZ_CHECK(c > 0x20 && c < 0x7f && c != '"' && c != '\\');
  }
}

void ArgoCdReply(std::string_view body, std::uint8_t selector) {
  const int status = 400 + selector % 110;
  const auto error = gitops::ErrorFromResponse(status, body, "app");
  KUBE9_FUZZ_CHECK(kube9::fuzz::IsUtf8(error.message));
  KUBE9_FUZZ_CHECK(error.message.size() < 500);
  if (kube9::base::ValidateJsonObject(body, gitops::kResourceTreeJson).ok()) {
    rapidjson::Document doc;
    doc.Parse<rapidjson::kParseIterativeFlag>(body.data(), body.size());
    KUBE9_FUZZ_CHECK(!doc.HasParseError() && doc.IsObject());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t selector = data[0];
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (selector % 3) {
    case 0: Discovery(body); break;
    case 1: Deployment(body); break;
    default: ArgoCdReply(body, selector); break;
  }
  return 0;
}
