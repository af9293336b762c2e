#include "exporter/endpoints.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <rapidjson/document.h>

#include "base/gzip.h"
#include "exporter/gauge_family.h"
#include "exporter/text_format.h"

namespace kube9::exporter {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

http::ServerRequest Request(std::string method, std::string path, std::string_view accept_encoding) {
  http::ServerRequest r;
  r.method = std::move(method);
  r.path = std::move(path);
  if (!accept_encoding.empty()) r.headers.Add("Accept-Encoding", accept_encoding);
  return r;
}

class EndpointsTest : public ::testing::Test {
 protected:
  EndpointsTest()
      : metrics_(registry_),
        health_(clock_),
        endpoints_("/metrics", {&registry_}, health_, metrics_,
                   [] { return LandingInfo{"operated", "free", "healthy", "kube9-system"}; }) {}

  // The body as a client gets it, streamed or not.
  static std::string Body(const HttpReply& r) {
    if (!r.stream) return r.body;
    struct Collect : http::BodyWriter {
      std::string text;
      std::size_t pieces = 0;
      void Write(std::string_view data) override {
        text += data;
        ++pieces;
      }
    } out;
    r.stream(out);
    return out.text;
  }

  std::string Header(const HttpReply& r, const std::string& name) {
    for (const auto& [k, v] : r.headers) {
      if (k == name) return v;
    }
    return "";
  }

  prometheus::Registry registry_;
  OperatorMetrics metrics_;
  base::FakeClock clock_;
  HealthState health_;
  Endpoints endpoints_;
};

TEST_F(EndpointsTest, OnlyTheProbesAreCheap) {
  EXPECT_TRUE(endpoints_.IsCheap(Request("GET", "/healthz", "")));
  EXPECT_TRUE(endpoints_.IsCheap(Request("GET", "/readyz", "")));
  EXPECT_FALSE(endpoints_.IsCheap(Request("GET", "/metrics", "")));
  EXPECT_FALSE(endpoints_.IsCheap(Request("GET", "/", "")));
}

TEST_F(EndpointsTest, TheProbeSocketGetsTheProbesOnly) {
  // It skips TLS and client certificates (`kube9-operator probe` in the pod): nothing else.
  auto on_socket = [](std::string path) {
    http::ServerRequest r = Request("GET", std::move(path), "");
    r.probe_socket = true;
    return r;
  };
  EXPECT_EQ(endpoints_.Handle(on_socket("/healthz")).status, 200);
  EXPECT_EQ(endpoints_.Handle(on_socket("/readyz")).status, endpoints_.Handle(Request("GET", "/readyz", "")).status);
  for (const char* path : {"/metrics", "/", "/nope"}) {
    EXPECT_TRUE(endpoints_.IsCheap(on_socket(path))) << "answered at once, never behind a scrape";
    const auto r = endpoints_.Handle(on_socket(path));
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_EQ(Body(r), "Not Found: the probe socket serves /healthz and /readyz only\n") << path;
  }
  EXPECT_EQ(endpoints_.Handle(Request("GET", "/metrics", "")).status, 200) << "the port serves them";
}

TEST_F(EndpointsTest, MetricsAreText004WithSelfMetrics) {
  metrics_.OnApiRequest("apply", "configmaps", 201);
  metrics_.OnStatusWrite(true, base::WallTime(std::chrono::seconds(1795774800)));
  auto r = endpoints_.Handle(Request("GET", "/metrics", ""));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(Header(r, "Content-Encoding"), "");
  EXPECT_THAT(Body(r), HasSubstr("kube9_operator_build_info{commit="));
  EXPECT_THAT(Body(r), HasSubstr("kube9_operator_status_writes_total{result=\"success\"} 1"));
  EXPECT_THAT(Body(r), HasSubstr("kube9_operator_status_writes_total{result=\"failure\"} 0"));
  EXPECT_THAT(Body(r), HasSubstr("kube9_operator_status_last_success_timestamp_seconds 1795774800"));
  EXPECT_THAT(Body(r), HasSubstr("kube9_operator_kubernetes_api_requests_total{code=\"201\",resource=\"configmaps\",verb=\"apply\"} 1"));
}

TEST_F(EndpointsTest, MetricsAreGzippedWhenAccepted) {
  auto plain = endpoints_.Handle(Request("GET", "/metrics", ""));
  auto r = endpoints_.Handle(Request("GET", "/metrics", "deflate, gzip;q=0.9"));
  EXPECT_EQ(Header(r, "Content-Encoding"), "gzip");
  std::string body;
  ASSERT_TRUE(base::GzipDecompress(Body(r), body));
  EXPECT_THAT(body, HasSubstr("# TYPE kube9_operator_build_info gauge"));
  EXPECT_EQ(Header(endpoints_.Handle(Request("GET", "/metrics", "gzip;q=0")), "Content-Encoding"), "");
}

TEST_F(EndpointsTest, PerObjectFamiliesAreStreamedInPiecesPlainOrGzipped) {
  collectors::ksm::KsmStores ksm({"namespaces"}, collectors::ksm::Options{});
  kube::ReflectorHandler* namespaces = ksm.HandlerFor("namespaces");
  namespaces->OnSyncStart();
  for (int i = 0; i < 12000; ++i) {  // about 2 MB of text
    rapidjson::Document d;
    d.Parse(fmt::format(R"({{"metadata":{{"name":"ns-{}","uid":"u-{}","creationTimestamp":"2026-12-05T10:00:00Z"}},
                            "status":{{"phase":"Active"}}}})",
                        i, i)
                .c_str());
    namespaces->OnListed(d);
  }
  namespaces->OnSynced();
  endpoints_.AddKsmFamilies(&ksm, /*gzip=*/true);

  const HttpReply plain = endpoints_.Handle(Request("GET", "/metrics", ""));
  ASSERT_TRUE(plain.stream) << "a body of this size is not built whole";
  EXPECT_EQ(plain.body, "");
  EXPECT_EQ(Header(plain, "Content-Encoding"), "");
  struct Pieces : http::BodyWriter {
    std::string text;
    std::size_t largest = 0, count = 0;
    void Write(std::string_view data) override {
      text += data;
      largest = std::max(largest, data.size());
      ++count;
    }
  } out;
  plain.stream(out);
  EXPECT_GT(out.count, 5u);
  EXPECT_LE(out.largest, collectors::ksm::TextWriter::CapacityFor(Endpoints::kPlainPiece)) << "pieces, never all";
  // (Not HasSubstr: a failure would print half a megabyte.)
  EXPECT_NE(out.text.find("# TYPE kube9_operator_build_info gauge\n"), std::string::npos);
  EXPECT_NE(out.text.find("\nkube_namespace_created{namespace=\"ns-11999\"} 1.7964648e+09\n"), std::string::npos);
  EXPECT_TRUE(out.text.ends_with("\n"));

  const HttpReply gzipped = endpoints_.Handle(Request("GET", "/metrics", "gzip"));
  ASSERT_TRUE(gzipped.stream);
  EXPECT_EQ(Header(gzipped, "Content-Encoding"), "gzip");
  std::string text;
  ASSERT_TRUE(base::GzipDecompress(Body(gzipped), text));
  // The same per-object families (the self metrics in front count the scrapes in between).
  const auto families = [](const std::string& t) { return t.substr(t.find("# HELP kube_namespace")); };
  EXPECT_EQ(families(text), families(out.text));

  // Without --enable-gzip-encoding the families go plain whatever the client asks, as in
  // kube-state-metrics: compressing them costs more than sending them.
  endpoints_.AddKsmFamilies(&ksm, /*gzip=*/false);
  const HttpReply unasked = endpoints_.Handle(Request("GET", "/metrics", "gzip"));
  ASSERT_TRUE(unasked.stream);
  EXPECT_EQ(Header(unasked, "Content-Encoding"), "");
  EXPECT_EQ(families(Body(unasked)), families(out.text));
}

// Families published once per sample, as the aggregates are: a scrape appends their text
// rendered at Publish, which must be the latest sample's, in the order of the collectables.
class Published final : public PrerenderedFamilies {
 public:
  void Sample(double value) {
    GaugeFamily f("kube9_test_prerendered", "A \\ help \"quoted\"\nline.");
    f.Add({{"namespace", "a\"b"}}, value);
    f.Add({{"namespace", "c"}}, 0.1);
    Publish({f.Take()});
  }
};

TEST_F(EndpointsTest, PrerenderedFamiliesAreServedAsTheTextOfTheirLastSample) {
  Published published;
  Endpoints endpoints("/metrics", {&published, &registry_}, health_, metrics_, [] { return LandingInfo{}; });
  published.Sample(1);
  published.Sample(13510798882111488);
  const std::string body = Body(endpoints.Handle(Request("GET", "/metrics", "")));
  std::string expected;
  AppendTextFormat(published.Collect(), expected);
  EXPECT_EQ(body.substr(0, expected.size()), expected);  // first, as its collectable
  EXPECT_THAT(body, HasSubstr("kube9_test_prerendered{namespace=\"a\\\"b\"} 13510798882111488\n"));
  EXPECT_THAT(body, Not(HasSubstr("kube9_test_prerendered{namespace=\"a\\\"b\"} 1\n")));
  EXPECT_THAT(body, HasSubstr("kube9_operator_build_info{commit="));  // the registry's after it

  std::string copied;
  published.AppendText(copied);
  EXPECT_EQ(copied, expected);
}

TEST(AcceptsGzipTest, HeaderForms) {
  EXPECT_TRUE(AcceptsGzip("gzip"));
  EXPECT_TRUE(AcceptsGzip("br, gzip, deflate"));
  EXPECT_TRUE(AcceptsGzip("*"));
  EXPECT_TRUE(AcceptsGzip("gzip ; q=0.5"));
  EXPECT_TRUE(AcceptsGzip("GZIP")) << "content codings are case-insensitive";
  EXPECT_FALSE(AcceptsGzip(""));
  EXPECT_FALSE(AcceptsGzip("identity"));
  EXPECT_FALSE(AcceptsGzip("gzip;q=0"));
  EXPECT_FALSE(AcceptsGzip("xgzip"));
}

TEST_F(EndpointsTest, HealthzAndReadyzFollowHealthState) {
  auto ready = endpoints_.Handle(Request("GET", "/readyz", ""));
  EXPECT_EQ(ready.status, 503);
  health_.SetCondition("status", true);
  ready = endpoints_.Handle(Request("GET", "/readyz", ""));
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(ready.body, "Ready\n");
  EXPECT_EQ(endpoints_.Handle(Request("GET", "/healthz", "")).status, 200);
  health_.RegisterLoop("status", std::chrono::seconds(1));
  clock_.Advance(std::chrono::seconds(5));
  auto live = endpoints_.Handle(Request("GET", "/healthz", ""));
  EXPECT_EQ(live.status, 500);
  EXPECT_THAT(live.body, HasSubstr("status loop"));
}

TEST_F(EndpointsTest, LandingPageLinksEndpointsAndShowsState) {
  health_.SetCondition("status", false, "namespace <x> not found");
  auto r = endpoints_.Handle(Request("GET", "/", ""));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
  EXPECT_THAT(r.body, HasSubstr("href=\"/metrics\""));
  EXPECT_THAT(r.body, HasSubstr("href=\"/healthz\""));
  EXPECT_THAT(r.body, HasSubstr("href=\"/readyz\""));
  EXPECT_THAT(r.body, HasSubstr("tier: free"));
  EXPECT_THAT(r.body, HasSubstr("namespace &lt;x&gt; not found")) << "escaped";
  EXPECT_THAT(r.body, Not(HasSubstr("<x>")));
}

TEST_F(EndpointsTest, UnknownPathsAndMethods) {
  EXPECT_EQ(endpoints_.Handle(Request("GET", "/nope", "")).status, 404);
  auto r = endpoints_.Handle(Request("POST", "/metrics", ""));
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(Header(r, "Allow"), "GET, HEAD");
}

http::ServerRequest WithAuthorization(http::ServerRequest r, std::string_view authorization) {
  r.headers.Add("Authorization", authorization);
  return r;
}

TEST_F(EndpointsTest, BasicAuthGuardsEverythingButTheProbes) {
  const http::BasicAuth auth({{"prometheus", http::HashBcrypt("scrape", 4)}});
  endpoints_.RequireBasicAuth(&auth);
  health_.SetCondition("status", true);
  // "prometheus:scrape" and "prometheus:wrong" in base64.
  const std::string good = "Basic cHJvbWV0aGV1czpzY3JhcGU=";
  const std::string bad = "Basic cHJvbWV0aGV1czp3cm9uZw==";

  for (const std::string path : {"/metrics", "/", "/nope"}) {
    auto r = endpoints_.Handle(Request("GET", path, ""));
    EXPECT_EQ(r.status, 401) << path;
    EXPECT_EQ(Header(r, "WWW-Authenticate"), "Basic realm=\"kube9-operator\"") << path;
    EXPECT_THAT(r.body, Not(HasSubstr("kube9_operator"))) << path;
    EXPECT_EQ(endpoints_.Handle(WithAuthorization(Request("GET", path, ""), bad)).status, 401) << path;
  }
  EXPECT_EQ(endpoints_.Handle(WithAuthorization(Request("POST", "/metrics", ""), bad)).status, 401)
      << "the method is not looked at before the credentials";

  auto r = endpoints_.Handle(WithAuthorization(Request("GET", "/metrics", ""), good));
  EXPECT_EQ(r.status, 200);
  EXPECT_THAT(Body(r), HasSubstr("kube9_operator_build_info"));
  EXPECT_EQ(endpoints_.Handle(WithAuthorization(Request("GET", "/", ""), good)).status, 200);

  // Kubelet probes cannot send credentials.
  EXPECT_EQ(endpoints_.Handle(Request("GET", "/healthz", "")).status, 200);
  EXPECT_EQ(endpoints_.Handle(Request("GET", "/readyz", "")).status, 200);
}

TEST_F(EndpointsTest, WithoutBasicAuthNothingIsAsked) {
  EXPECT_EQ(endpoints_.Handle(Request("GET", "/metrics", "")).status, 200);
  EXPECT_EQ(endpoints_.Handle(WithAuthorization(Request("GET", "/metrics", ""), "Basic Zm9vOmJhcg==")).status, 200);
}

TEST_F(EndpointsTest, ConfiguredHeadersOnEveryReply) {
  endpoints_.AddHeaders({{"X-Content-Type-Options", "nosniff"}, {"X-Frame-Options", "deny"}});
  const http::BasicAuth auth({{"prometheus", http::HashBcrypt("scrape", 4)}});
  endpoints_.RequireBasicAuth(&auth);
  for (const std::string path : {"/metrics", "/healthz", "/readyz", "/nope"}) {
    auto r = endpoints_.Handle(Request("GET", path, ""));
    EXPECT_EQ(Header(r, "X-Content-Type-Options"), "nosniff") << path;
    EXPECT_EQ(Header(r, "X-Frame-Options"), "deny") << path;
  }
}

TEST_F(EndpointsTest, ScrapesAreTimed) {
  endpoints_.Handle(Request("GET", "/metrics", ""));
  auto r = endpoints_.Handle(Request("GET", "/metrics", ""));
  EXPECT_THAT(Body(r), HasSubstr("kube9_operator_scrape_duration_seconds_count 1"));
}

}  // namespace
}  // namespace kube9::exporter
