// The Kubernetes client and reflector against a real kube-apiserver (make cluster-up).
// KUBECONFIG names the admin kubeconfig.
#include <cstdlib>
#include <random>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "http/openssl_transport.h"
#include "kube/client.h"
#include "kube/cluster_access.h"
#include "kube/reflector.h"

namespace kube9::kube {
namespace {

using ::testing::HasSubstr;

class KubeIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* kc = std::getenv("KUBECONFIG");
    ASSERT_NE(kc, nullptr) << "set KUBECONFIG to the local control plane's admin kubeconfig";
    auto access = LoadKubeconfig(kc, "", clock_);
    ASSERT_TRUE(access.ok()) << access.error();
    access_ = *access;
    transport_ = std::make_unique<http::OpenSslTransport>(access_.trust, "kube9-operator-test");
    client_ = std::make_unique<Client>(access_, *transport_, clock_);
    run_ = fmt::format("{:08x}", std::random_device{}());
  }

  // Objects of one test run live in `default`, told apart by the label run=<id>.
  std::map<std::string, std::string> Labels() const { return {{"kube9-test-run", run_}}; }
  std::string Selector() const { return "kube9-test-run=" + run_; }

  void Delete(const std::string& name) {
    http::Request req;
    req.method = "DELETE";
    req.url = access_.server + "/api/v1/namespaces/default/configmaps/" + name;
    auto cred = access_.credentials->Get();
    req.client_cert_pem = cred->cert_pem;
    req.client_key_pem = cred->key_pem;
    if (!cred->token.empty()) req.headers.emplace_back("Authorization", "Bearer " + cred->token);
    auto r = transport_->Send(req);
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->status, 200) << r->body;
  }

  base::SystemClock clock_;
  base::StopSignal stop_;
  ClusterAccess access_;
  std::unique_ptr<http::OpenSslTransport> transport_;
  std::unique_ptr<Client> client_;
  std::string run_;
};

TEST_F(KubeIntegrationTest, VersionIsTheRealOne) {
  auto body = client_->GetRaw("/version", "version");
  ASSERT_TRUE(body.ok()) << body.error().ToString();
  EXPECT_THAT(*body, HasSubstr("\"gitVersion\": \"v1."));
  EXPECT_THAT(*body, ::testing::Not(HasSubstr("v0.0.0-master")));
}

TEST_F(KubeIntegrationTest, ApplyCreatesThenUpdatesWithoutConflict) {
  const std::string name = "kube9-it-apply-" + run_;
  ASSERT_TRUE(client_->ApplyConfigMap("default", name, Labels(), {{"status", "1"}}).ok());
  ASSERT_TRUE(client_->ApplyConfigMap("default", name, Labels(), {{"status", "2"}}).ok());
  auto cm = client_->GetConfigMap("default", name);
  ASSERT_TRUE(cm.ok());
  EXPECT_EQ(cm->data, (std::map<std::string, std::string>{{"status", "2"}}));
  EXPECT_EQ(cm->labels.at("kube9-test-run"), run_);
  Delete(name);
  auto gone = client_->GetConfigMap("default", name);
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().kind, ErrorKind::kNotFound);
}

TEST_F(KubeIntegrationTest, ApplyIntoAMissingNamespaceIsNotFound) {
  auto r = client_->ApplyConfigMap("kube9-missing-" + run_, "x", {}, {{"status", "1"}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kNotFound);
  EXPECT_THAT(r.error().message, HasSubstr("not found"));
}

TEST_F(KubeIntegrationTest, ListPaginatesWithContinueTokens) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(client_->ApplyConfigMap("default", fmt::format("kube9-it-list-{}-{}", run_, i), Labels(), {}).ok());
  }
  ListOptions opts;
  opts.limit = 2;
  opts.label_selector = Selector();
  std::set<std::string> names;
  auto r = client_->List("/api/v1/namespaces/default/configmaps", "configmaps", opts,
                         [&](const rapidjson::Value& o) { names.insert(o["metadata"]["name"].GetString()); }, stop_);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->pages, 3);
  EXPECT_EQ(names.size(), 5u);
  EXPECT_FALSE(r->resource_version.empty());
  for (int i = 0; i < 5; ++i) Delete(fmt::format("kube9-it-list-{}-{}", run_, i));
}

TEST_F(KubeIntegrationTest, WatchSeesAddModifyDeleteFromTheListVersion) {
  ListOptions opts;
  opts.label_selector = Selector();
  auto listed = client_->List("/api/v1/namespaces/default/configmaps", "configmaps", opts,
                              [](const rapidjson::Value&) {}, stop_);
  ASSERT_TRUE(listed.ok());
  const std::string name = "kube9-it-watch-" + run_;
  ASSERT_TRUE(client_->ApplyConfigMap("default", name, Labels(), {{"k", "1"}}).ok());
  ASSERT_TRUE(client_->ApplyConfigMap("default", name, Labels(), {{"k", "2"}}).ok());
  Delete(name);
  std::vector<std::string> seen;
  WatchOptions wo;
  wo.resource_version = listed->resource_version;
  wo.label_selector = Selector();
  wo.timeout_seconds = 3;  // the server ends the watch; we then check what arrived
  auto w = client_->Watch("/api/v1/namespaces/default/configmaps", "configmaps", wo,
                          [&](EventType t, const rapidjson::Value&) { seen.emplace_back(EventTypeName(t)); }, stop_);
  ASSERT_TRUE(w.ok()) << w.error().ToString();
  std::erase(seen, "BOOKMARK");
  EXPECT_EQ(seen, (std::vector<std::string>{"ADDED", "MODIFIED", "DELETED"}));
}

TEST_F(KubeIntegrationTest, WatchFromAnExpiredVersionIsGone) {
  // Events, because the API server keeps no watch cache for them: their watches are served by
  // etcd, which the test harness compacts first (test_kube_client.py), so resourceVersion 1 is
  // gone for certain. A cached resource such as configmaps answers from its cache's window
  // instead, which on a young cluster still reaches back to the first revisions: a watch from 1
  // is then valid, and this test failed right after a fresh `make cluster-up`.
  WatchOptions wo;
  wo.resource_version = "1";
  wo.timeout_seconds = 5;
  auto w = client_->Watch("/api/v1/namespaces/default/events", "events", wo,
                          [](EventType, const rapidjson::Value&) {}, stop_);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().kind, ErrorKind::kGone) << w.error().ToString();
}

class NameStore final : public ReflectorHandler {
 public:
  void OnSyncStart() override {}
  void OnListed(const rapidjson::Value& o) override { Put(o); }
  void OnSynced() override {}
  void OnSkipped(std::size_t) override {}
  void OnEvent(EventType t, const rapidjson::Value& o) override {
    std::lock_guard lock(mu);
    if (t == EventType::kDeleted) names.erase(o["metadata"]["name"].GetString());
    else names.insert(o["metadata"]["name"].GetString());
  }
  void Put(const rapidjson::Value& o) {
    std::lock_guard lock(mu);
    names.insert(o["metadata"]["name"].GetString());
  }
  std::set<std::string> Snapshot() {
    std::lock_guard lock(mu);
    return names;
  }
  std::mutex mu;
  std::set<std::string> names;
};

TEST_F(KubeIntegrationTest, ReflectorFollowsChangesWithinASecond) {
  const std::string a = "kube9-it-refl-a-" + run_, b = "kube9-it-refl-b-" + run_;
  ASSERT_TRUE(client_->ApplyConfigMap("default", a, Labels(), {}).ok());
  NameStore store;
  ReflectorOptions ro;
  ro.resource = "configmaps";
  ro.path = "/api/v1/namespaces/default/configmaps";
  ro.list.label_selector = Selector();
  Reflector reflector(ro, *client_, store, clock_);
  std::thread t([&] { reflector.Run(stop_); });
  auto wait_for = [&](const std::set<std::string>& want) {
    for (int i = 0; i < 50 && store.Snapshot() != want; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return store.Snapshot();
  };
  EXPECT_EQ(wait_for({a}), (std::set<std::string>{a}));
  EXPECT_TRUE(reflector.synced());
  ASSERT_TRUE(client_->ApplyConfigMap("default", b, Labels(), {}).ok());
  EXPECT_EQ(wait_for({a, b}), (std::set<std::string>{a, b})) << "an add shows within a second";
  Delete(a);
  EXPECT_EQ(wait_for({b}), (std::set<std::string>{b})) << "a delete shows within a second";
  const auto stopping = std::chrono::steady_clock::now();
  stop_.Stop();
  t.join();
  EXPECT_LT(std::chrono::steady_clock::now() - stopping, std::chrono::seconds(3)) << "a quiet watch stops promptly";
  Delete(b);
}

}  // namespace
}  // namespace kube9::kube

// The transport against a loopback server that accepts, reads the request and never answers.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace kube9::http {
namespace {

class SilentServer {
 public:
  SilentServer() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    listen(fd_, 4);
    socklen_t len = sizeof(addr);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] {
      const int c = accept(fd_, nullptr, nullptr);
      char buf[4096];
      while (c >= 0 && read(c, buf, sizeof(buf)) > 0) {
      }
      if (c >= 0) close(c);
    });
  }
  ~SilentServer() {
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    thread_.detach();  // blocked in read until the client hangs up
  }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

TEST(OpenSslTransportTest, AHungServerIsAbandonedAfterTheStallTimeout) {
  SilentServer server;
  OpenSslTransport transport({}, "test");
  Request req;
  req.url = fmt::format("http://127.0.0.1:{}/api/v1/pods", server.port());
  req.stall_timeout = std::chrono::seconds(1);
  const auto start = std::chrono::steady_clock::now();
  auto r = transport.Send(req);
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r.ok());
  EXPECT_GE(took, std::chrono::milliseconds(900));
  EXPECT_LT(took, std::chrono::seconds(4)) << "not the 30 s total timeout";
}

TEST(OpenSslTransportTest, AQuietStreamEndsWhenStopped) {
  SilentServer server;
  OpenSslTransport transport({}, "test");
  Request req;
  req.url = fmt::format("http://127.0.0.1:{}/api/v1/pods?watch=true", server.port());
  req.stall_timeout = base::Millis(0);  // watches may be quiet
  req.timeout = std::chrono::seconds(60);
  struct Ignore : StreamHandler {
    bool OnHeaders(int, const Headers&) override { return true; }
    bool OnData(std::string_view) override { return true; }
  } handler;
  base::StopSignal stop;
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    stop.Stop();
  });
  const auto start = std::chrono::steady_clock::now();
  auto r = transport.Stream(req, handler, stop);
  const auto took = std::chrono::steady_clock::now() - start;
  stopper.join();
  EXPECT_TRUE(r.ok()) << "ended by us, not an error";
  EXPECT_GE(took, std::chrono::milliseconds(1400)) << "quiet is not stalled for a watch";
  EXPECT_LT(took, std::chrono::milliseconds(3500)) << "a stop ends it within about a second";
}

}  // namespace
}  // namespace kube9::http
