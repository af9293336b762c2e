#pragma once

#include <initializer_list>
#include <string>

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "collectors/ksm/registry.h"

// What the family-set tests share: feeding objects to a resource's store as a LIST would, and
// the text a scrape would get.
namespace kube9::testing {

using collectors::ksm::KsmStores;
using collectors::ksm::TextWriter;

// The text every store renders, as one string.
inline std::string Render(const KsmStores& stores) {
  std::string out;
  {
    TextWriter w([&](std::string_view s) { out += s; });
    stores.Render(w);
  }
  return out;
}

// A completed LIST of `objects` (JSON texts) into the store of `resource`.
inline void List(const KsmStores& stores, const char* resource, std::initializer_list<const char*> objects) {
  auto* h = stores.HandlerFor(resource);
  ASSERT_NE(h, nullptr) << resource;
  h->OnSyncStart();
  for (const char* o : objects) {
    rapidjson::Document d;
    d.Parse(o);
    ASSERT_FALSE(d.HasParseError()) << o;
    h->OnListed(d);
  }
  h->OnSynced();
}

}  // namespace kube9::testing
