#pragma once

#include <gtest/gtest.h>
#include <rapidjson/document.h>

namespace kube9::testing {

// An API object (or any JSON) from its text, as the list decoder would hand it over; a test
// whose fixture text is not JSON fails.
inline rapidjson::Document Json(const char* text) {
  rapidjson::Document d;
  d.Parse(text);
  EXPECT_FALSE(d.HasParseError()) << text;
  return d;
}

}  // namespace kube9::testing
