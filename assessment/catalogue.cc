#include "assessment/catalogue.h"

namespace kube9::assessment {

#define KUBE9_CHECK(factory) std::unique_ptr<Check> factory();
#include "assessment/catalogue.def"
#undef KUBE9_CHECK

const std::vector<std::unique_ptr<Check>>& Catalogue() {
  static const std::vector<std::unique_ptr<Check>> all = [] {
    std::vector<std::unique_ptr<Check>> checks;
#define KUBE9_CHECK(factory) checks.push_back(factory());
#include "assessment/catalogue.def"
#undef KUBE9_CHECK
    return checks;
  }();
  return all;
}

const Check* FindCheck(std::string_view id) {
  for (const auto& c : Catalogue()) {
    if (c->info().id == id) return c.get();
  }
  return nullptr;
}

}  // namespace kube9::assessment
