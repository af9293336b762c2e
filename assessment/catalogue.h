#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "assessment/check.h"

namespace kube9::assessment {

// Every check, in catalogue order (catalogue.def): by pillar, then by id. Built once.
const std::vector<std::unique_ptr<Check>>& Catalogue();

// The check with this id, or null.
const Check* FindCheck(std::string_view id);

}  // namespace kube9::assessment
