#include "gitops/argocd_api.h"

#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/fake_transport.h"

namespace kube9::gitops {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using C = ArgoCdErrorCode;

constexpr const char* kToken = "eyJhbGciOiJIUzI1NiJ9.secret-argocd-token.sig";

TEST(ArgoCdErrorTest, CodesAndExitStatusesAreTheContracts) {
  const std::vector<std::tuple<C, std::string, int>> table = {{C::kInvalidArgument, "INVALID_ARGUMENT", 2},
                                                              {C::kApplicationNotFound, "APPLICATION_NOT_FOUND", 3},
                                                              {C::kTokenMissing, "ARGOCD_TOKEN_MISSING", 4},
                                                              {C::kAuthFailed, "ARGOCD_AUTH_FAILED", 4},
                                                              {C::kRbacDenied, "ARGOCD_RBAC_DENIED", 5},
                                                              {C::kTimeout, "TIMEOUT", 6},
                                                              {C::kApiUnreachable, "ARGOCD_API_UNREACHABLE", 7},
                                                              {C::kNotDetected, "ARGOCD_NOT_DETECTED", 7},
                                                              {C::kInternal, "INTERNAL_ERROR", 1}};
  for (const auto& [code, name, exit] : table) {
    EXPECT_EQ(CodeName(code), name);
    EXPECT_EQ(ExitStatus(code), exit) << name;
  }
}

TEST(ArgoCdErrorTest, HttpStatusesMapToCodesAndQuoteArgoCdsMessage) {
  const std::string grpc =
      R"({"error":"permission denied","code":7,"message":"permission denied: applications, get, default/guestbook"})";
  EXPECT_EQ(ErrorFromResponse(403, grpc, "guestbook"),
            (ArgoCdError{C::kRbacDenied,
                         "Argo CD's RBAC does not let the token read this application (HTTP 403): "
                         "permission denied: applications, get, default/guestbook"}));
  EXPECT_EQ(ErrorFromResponse(404, R"({"code":5,"message":"applications.argoproj.io \"x\" not found"})", "x").code,
            C::kApplicationNotFound);
  EXPECT_THAT(ErrorFromResponse(404, "", "x").message, HasSubstr("no application x"));
  EXPECT_EQ(ErrorFromResponse(401, R"({"error":"invalid session"})", "").code, C::kAuthFailed);
  EXPECT_EQ(ErrorFromResponse(400, "", "").code, C::kInvalidArgument);
  EXPECT_EQ(ErrorFromResponse(504, "<html>gateway</html>", "").code, C::kTimeout);
  EXPECT_EQ(ErrorFromResponse(503, "", "").code, C::kApiUnreachable);
  EXPECT_EQ(ErrorFromResponse(500, "", "").code, C::kInternal);
  EXPECT_EQ(ErrorFromResponse(500, "<html>", "").message, "Argo CD answered HTTP 500") << "no JSON: nothing quoted";
  EXPECT_EQ(ErrorFromResponse(403, R"({"message":")" + std::string(1000, 'm') + R"("})", "").message.size(),
            std::string("Argo CD's RBAC does not let the token read this application (HTTP 403): ").size() + 300);
}

TEST(ArgoCdErrorTest, TransportFailuresAreTimeoutOrUnreachable) {
  http::TransportError timeout{"Operation timed out after 2000 milliseconds"};
  timeout.timed_out = true;
  EXPECT_EQ(ErrorFromTransport(timeout, "https://argocd-server.argocd.svc").code, C::kTimeout);
  const auto refused = ErrorFromTransport(http::TransportError{"Couldn't connect to server"}, "https://a.svc");
  EXPECT_EQ(refused.code, C::kApiUnreachable);
  EXPECT_EQ(refused.message, "cannot reach Argo CD at https://a.svc: Couldn't connect to server");
  EXPECT_EQ(ErrorFromTransport(http::TransportError{"response body larger than 16 MiB", true, 200}, "x").code,
            C::kInternal);
}

TEST(ArgoCdSettingsTest, DefaultsFollowTheNamespace) {
  auto s = ArgoCdSettingsFromEnv({});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->ns, "argocd");
  EXPECT_EQ(s->base_url, "https://argocd-server.argocd.svc");
  EXPECT_EQ(s->token_file, "");
  s = ArgoCdSettingsFromEnv({{"ARGOCD_NAMESPACE", "gitops"}});
  EXPECT_EQ(s->base_url, "https://argocd-server.gitops.svc");
  s = ArgoCdSettingsFromEnv({{"ARGOCD_API_BASE_URL", "http://argocd.example:8080/argo//"},
                             {"ARGOCD_API_TOKEN_FILE", "/t"},
                             {"ARGOCD_CA_FILE", "/ca"}});
  EXPECT_EQ(s->base_url, "http://argocd.example:8080/argo");
  EXPECT_EQ(s->token_file, "/t");
  EXPECT_EQ(s->ca_file, "/ca");
  EXPECT_THAT(ArgoCdSettingsFromEnv({{"ARGOCD_NAMESPACE", "Argo CD"}}).error(), HasSubstr("ARGOCD_NAMESPACE"));
  EXPECT_THAT(ArgoCdSettingsFromEnv({{"ARGOCD_API_BASE_URL", "ftp://x"}}).error(), HasSubstr("https://"));
  EXPECT_THAT(ArgoCdSettingsFromEnv({{"ARGOCD_API_BASE_URL", "https://"}}).error(), HasSubstr("no host"));
  EXPECT_THAT(ArgoCdSettingsFromEnv({{"ARGOCD_API_BASE_URL", "https://a/?x=1"}}).error(), HasSubstr("query"));
}

TEST(ArgoCdSettingsTest, TrustTheGivenCaElseTheClusterCaForHttps) {
  ArgoCdSettings s;
  s.base_url = "https://argocd-server.argocd.svc";
  EXPECT_EQ(ArgoCdTrust(s, "/nonexistent/ca.crt").ca_file, "") << "no cluster CA mounted: the system's CAs";
  const std::string here = std::filesystem::temp_directory_path() / "kube9-argocd-ca-test.crt";
  std::ofstream(here) << "PEM";
  EXPECT_EQ(ArgoCdTrust(s, here).ca_file, here);
  s.ca_file = "/etc/argocd/ca.crt";
  EXPECT_EQ(ArgoCdTrust(s, here).ca_file, "/etc/argocd/ca.crt");
  std::filesystem::remove(here);
}

TEST(ArgoCdNamesTest, OnlyKubernetesNamesGoIntoTheUrl) {
  EXPECT_TRUE(IsValidApplicationName("guestbook"));
  EXPECT_TRUE(IsValidApplicationName("team-a.guestbook-1"));
  EXPECT_FALSE(IsValidApplicationName(""));
  EXPECT_FALSE(IsValidApplicationName("../../api/v1/session"));
  EXPECT_FALSE(IsValidApplicationName("Guestbook"));
  EXPECT_FALSE(IsValidApplicationName("a..b"));
  EXPECT_FALSE(IsValidApplicationName(std::string(254, 'a')));
  EXPECT_TRUE(IsValidNamespaceName("argocd"));
  EXPECT_FALSE(IsValidNamespaceName("a.b"));
  EXPECT_FALSE(IsValidNamespaceName("-a"));
}

class ArgoCdApiTest : public ::testing::Test {
 protected:
  ArgoCdApiTest() {
    token_file_ = std::filesystem::temp_directory_path() / ("kube9-argocd-token-" + std::to_string(::getpid()));
    std::ofstream(token_file_) << kToken << "\n";
    settings_.base_url = "https://argocd.test";
    settings_.token_file = token_file_;
  }
  ~ArgoCdApiTest() override { std::filesystem::remove(token_file_); }
  ArgoCdApi Api() { return ArgoCdApi(settings_, transport_); }

  std::string token_file_;
  ArgoCdSettings settings_;
  testing::FakeTransport transport_;
};

TEST_F(ArgoCdApiTest, ResourceTreeAsksForTheApplicationWithTheTokenAndReturnsTheBody) {
  const std::string tree = R"({"nodes":[{"kind":"Deployment","name":"guestbook-ui","health":{"status":"Healthy"}}]})";
  transport_.Reply(200, tree);
  auto got = Api().ResourceTree("guestbook", "team-a", std::chrono::seconds(7));
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(*got, tree);
  const auto req = transport_.requests().at(0);
  EXPECT_EQ(req.method, "GET");
  EXPECT_EQ(req.url, "https://argocd.test/api/v1/applications/guestbook/resource-tree?appNamespace=team-a");
  EXPECT_THAT(req.headers, ::testing::Contains(
                               std::pair<std::string, std::string>("Authorization", std::string("Bearer ") + kToken)));
  EXPECT_EQ(req.timeout, std::chrono::seconds(7));
  EXPECT_EQ(req.max_response_bytes, kResourceTreeJson.max_bytes);
  // Without a namespace Argo CD looks in its own.
  transport_.Reply(200, tree);
  ASSERT_TRUE(Api().ResourceTree("guestbook", "", std::chrono::seconds(7)).ok());
  EXPECT_EQ(transport_.requests().at(1).url, "https://argocd.test/api/v1/applications/guestbook/resource-tree");
}

TEST_F(ArgoCdApiTest, BadArgumentsAreRefusedBeforeAnyRequest) {
  EXPECT_EQ(Api().ResourceTree("a/b", "ns", std::chrono::seconds(1)).error().code, C::kInvalidArgument);
  EXPECT_EQ(Api().ResourceTree("app", "NS", std::chrono::seconds(1)).error().code, C::kInvalidArgument);
  EXPECT_TRUE(transport_.requests().empty());
}

TEST_F(ArgoCdApiTest, AMissingOrEmptyTokenIsTokenMissing) {
  settings_.token_file = "";
  EXPECT_EQ(Api().ResourceTree("app", "", std::chrono::seconds(1)).error().code, C::kTokenMissing);
  EXPECT_EQ(Api().Probe(std::chrono::seconds(1)).error().code, C::kTokenMissing);
  settings_.token_file = "/nonexistent/token";
  auto missing = Api().ResourceTree("app", "", std::chrono::seconds(1));
  EXPECT_EQ(missing.error().code, C::kTokenMissing);
  EXPECT_THAT(missing.error().message, HasSubstr("/nonexistent/token"));
  settings_.token_file = token_file_;
  std::ofstream(token_file_, std::ios::trunc) << " \n";
  EXPECT_EQ(Api().ResourceTree("app", "", std::chrono::seconds(1)).error().code, C::kTokenMissing);
  EXPECT_TRUE(transport_.requests().empty());
}

TEST_F(ArgoCdApiTest, ATreeThatIsNotOneJsonObjectIsAnInternalError) {
  transport_.Reply(200, "<html>login</html>");
  auto got = Api().ResourceTree("app", "", std::chrono::seconds(1));
  EXPECT_EQ(got.error().code, C::kInternal);
  EXPECT_THAT(got.error().message, HasSubstr("resource tree is not a JSON object"));
}

TEST_F(ArgoCdApiTest, TheTokenNeverAppearsInAMessageEvenWhenArgoCdEchoesIt) {
  transport_.Reply(401, std::string(R"({"error":"token )") + kToken + R"( is invalid"})");
  auto got = Api().ResourceTree("app", "", std::chrono::seconds(1));
  EXPECT_EQ(got.error().code, C::kAuthFailed);
  EXPECT_THAT(got.error().message, Not(HasSubstr(kToken)));
  EXPECT_THAT(got.error().message, HasSubstr("<redacted>"));
  http::TransportError echoed{std::string("proxy refused Bearer ") + kToken};
  transport_.FailWith(echoed);
  EXPECT_THAT(Api().ResourceTree("app", "", std::chrono::seconds(1)).error().message, Not(HasSubstr(kToken)));
}

TEST_F(ArgoCdApiTest, ATimeoutIsTimeout) {
  http::TransportError timeout{"Operation timed out"};
  timeout.timed_out = true;
  transport_.FailWith(timeout);
  EXPECT_EQ(Api().ResourceTree("app", "", std::chrono::seconds(1)).error().code, C::kTimeout);
}

TEST_F(ArgoCdApiTest, TheProbeAsksUserinfoAndNeedsLoggedIn) {
  transport_.Reply(200, R"({"loggedIn":true,"username":"kube9","iss":"argocd"})");
  ASSERT_TRUE(Api().Probe(std::chrono::seconds(5)).ok());
  EXPECT_EQ(transport_.requests().at(0).url, "https://argocd.test/api/v1/session/userinfo");
  EXPECT_EQ(transport_.requests().at(0).timeout, std::chrono::seconds(5));
  // The session service lets a rejected token in and says it is not logged in.
  transport_.Reply(200, R"({})");
  EXPECT_EQ(Api().Probe(std::chrono::seconds(5)).error().code, C::kAuthFailed);
  transport_.Reply(200, R"({"loggedIn":false})");
  EXPECT_EQ(Api().Probe(std::chrono::seconds(5)).error().code, C::kAuthFailed);
  transport_.Reply(401, "");
  EXPECT_EQ(Api().Probe(std::chrono::seconds(5)).error().code, C::kAuthFailed);
  transport_.FailTransport();
  EXPECT_EQ(Api().Probe(std::chrono::seconds(5)).error().code, C::kApiUnreachable);
  transport_.Reply(200, "[]");
  EXPECT_EQ(Api().Probe(std::chrono::seconds(5)).error().code, C::kInternal);
}

}  // namespace
}  // namespace kube9::gitops
