#include "kube/cluster_access.h"

#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace kube9::kube {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

// base64 of "-----CA-----\n", "-----CERT-----\n", "-----KEY-----\n"
constexpr const char* kCaB64 = "LS0tLS1DQS0tLS0tCg==";
constexpr const char* kCertB64 = "LS0tLS1DRVJULS0tLS0K";
constexpr const char* kKeyB64 = "LS0tLS1LRVktLS0tLQo=";

class ClusterAccessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("kube9-access-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& content) {
    std::ofstream(dir_ / name) << content;
    return (dir_ / name).string();
  }
  std::string Kubeconfig(const std::string& cluster_extra, const std::string& user) {
    return Write("config", "apiVersion: v1\nkind: Config\ncurrent-context: main\n"
                           "contexts:\n- name: main\n  context: {cluster: c1, user: u1}\n"
                           "- name: other\n  context: {cluster: c2, user: u2}\n"
                           "clusters:\n- name: c1\n  cluster:\n    server: https://127.0.0.1:6443/\n" + cluster_extra +
                           "- name: c2\n  cluster:\n    server: https://10.0.0.2:443\n    certificate-authority: ca.crt\n"
                           "users:\n- name: u1\n  user:\n" + user +
                           "- name: u2\n  user:\n    token: other-token\n");
  }
  fs::path dir_;
  base::FakeClock clock_;
};

TEST_F(ClusterAccessTest, CurrentContextWithEmbeddedCaAndClientCertificate) {
  auto path = Kubeconfig(std::string("    certificate-authority-data: ") + kCaB64 + "\n",
                         std::string("    client-certificate-data: ") + kCertB64 + "\n    client-key-data: " + kKeyB64 + "\n");
  auto a = LoadKubeconfig(path, "", clock_);
  ASSERT_TRUE(a.ok()) << a.error();
  EXPECT_EQ(a->server, "https://127.0.0.1:6443");
  EXPECT_EQ(a->trust.ca_pem, "-----CA-----\n");
  auto cred = a->credentials->Get();
  ASSERT_TRUE(cred.ok());
  EXPECT_EQ(cred->cert_pem, "-----CERT-----\n");
  EXPECT_EQ(cred->key_pem, "-----KEY-----\n");
  EXPECT_EQ(cred->token, "");
}

// The fuzzer's entry point: the text, and files read through the reader it is given, relative
// names resolved against the kubeconfig's folder.
TEST(ParseKubeconfigTest, ReadsFilesThroughTheGivenReader) {
  base::FakeClock clock;
  std::vector<std::string> read;
  auto a = ParseKubeconfig(
      "current-context: c\ncontexts: [{name: c, context: {cluster: k, user: u}}]\n"
      "clusters: [{name: k, cluster: {server: 'https://k:6443'}}]\n"
      "users: [{name: u, user: {client-certificate: u.crt, client-key: /keys/u.key}}]\n",
      "/configs/kubeconfig", "", clock, [&read](const std::string& path) -> base::Expected<std::string, std::string> {
        read.push_back(path);
        return "pem of " + path;
      });
  ASSERT_TRUE(a.ok()) << a.error();
  EXPECT_THAT(read, ::testing::ElementsAre("/configs/u.crt", "/keys/u.key"));
  EXPECT_EQ(a->credentials->Get()->cert_pem, "pem of /configs/u.crt");
  EXPECT_EQ(a->source, "/configs/kubeconfig");
  EXPECT_THAT(ParseKubeconfig("[", "/configs/kubeconfig", "", clock).error(),
              HasSubstr("kubeconfig /configs/kubeconfig: is not valid YAML"));
}

TEST_F(ClusterAccessTest, NamedContextAndRelativeCaFile) {
  Write("ca.crt", "-----CA-----\n");
  auto a = LoadKubeconfig(Kubeconfig("", "    token: t\n"), "other", clock_);
  ASSERT_TRUE(a.ok()) << a.error();
  EXPECT_EQ(a->server, "https://10.0.0.2:443");
  EXPECT_EQ(a->trust.ca_file, (dir_ / "ca.crt").string());
  EXPECT_EQ(a->credentials->Get()->token, "other-token");
}

TEST_F(ClusterAccessTest, ClientCertificateFilesRelativeToTheKubeconfig) {
  Write("client.crt", "C");
  Write("client.key", "K");
  auto a = LoadKubeconfig(Kubeconfig("", "    client-certificate: client.crt\n    client-key: client.key\n"), "", clock_);
  ASSERT_TRUE(a.ok()) << a.error();
  EXPECT_EQ(a->credentials->Get()->cert_pem, "C");
  EXPECT_EQ(a->credentials->Get()->key_pem, "K");
}

TEST_F(ClusterAccessTest, TokenFileIsReadThroughARotatingProvider) {
  Write("token", "abc\n");
  auto a = LoadKubeconfig(Kubeconfig("", "    tokenFile: token\n"), "", clock_);
  ASSERT_TRUE(a.ok()) << a.error();
  EXPECT_EQ(a->credentials->Get()->token, "abc");
}

TEST_F(ClusterAccessTest, RefusesToSkipTlsVerification) {
  auto a = LoadKubeconfig(Kubeconfig("    insecure-skip-tls-verify: true\n", "    token: t\n"), "", clock_);
  ASSERT_FALSE(a.ok());
  EXPECT_THAT(a.error(), HasSubstr("always verifies"));
}

TEST_F(ClusterAccessTest, ClearErrorsForBrokenKubeconfigs) {
  EXPECT_THAT(LoadKubeconfig((dir_ / "missing").string(), "", clock_).error(), HasSubstr("cannot be read"));
  EXPECT_THAT(LoadKubeconfig(Write("bad", "clusters: [\n"), "", clock_).error(), HasSubstr("not valid YAML"));
  EXPECT_THAT(LoadKubeconfig(Write("noctx", "apiVersion: v1\n"), "", clock_).error(), HasSubstr("no current-context"));
  EXPECT_THAT(LoadKubeconfig(Kubeconfig("", "    token: t\n"), "nope", clock_).error(), HasSubstr("no context named 'nope'"));
  EXPECT_THAT(LoadKubeconfig(Kubeconfig("    certificate-authority-data: '***'\n", "    token: t\n"), "", clock_).error(),
              HasSubstr("not valid base64"));
  EXPECT_THAT(LoadKubeconfig(Kubeconfig("", "    client-certificate-data: QQ==\n"), "", clock_).error(),
              HasSubstr("given together"));
  EXPECT_THAT(LoadKubeconfig(Kubeconfig("", "    client-certificate: nope.crt\n    client-key: nope.key\n"), "", clock_).error(),
              HasSubstr("cannot read client-certificate"));
  EXPECT_THAT(LoadKubeconfig(Kubeconfig("", "    username: admin\n    password: x\n"), "", clock_).error(),
              HasSubstr("not supported"));
  auto http = Write("http", "current-context: a\ncontexts: [{name: a, context: {cluster: c}}]\n"
                            "clusters: [{name: c, cluster: {server: 'http://127.0.0.1:8080'}}]\n");
  EXPECT_THAT(LoadKubeconfig(http, "", clock_).error(), HasSubstr("not an https:// URL"));
}

// YAML bombs are refused with a clear error before yaml-cpp sees them: its recursion guard
// (2000) comes too late for `- - - ...` on one line, which costs it memory quadratic in the
// length (20 KB took 126 MB, 200 KB 15 GB).
TEST_F(ClusterAccessTest, KubeconfigBombsAreRefusedClearly) {
  struct Case {
    std::string name, content, why;
  };
  std::string indented, many;
  for (int i = 0; i < 300; ++i) indented += std::string(i, ' ') + "- \n";
  for (int i = 0; i < 200'000; ++i) many += "- x\n";
  std::string compact;
  for (int i = 0; i < 100'000; ++i) compact += "- ";
  for (const Case& c : {Case{"flow", std::string(1'000'000, '['), "nests deeper than 64 levels (line 1)"},
                        Case{"flowmap", "a: " + std::string(100'000, '{'), "nests deeper than 64 levels (line 1)"},
                        Case{"compact", compact + "x\n", "is indented deeper than 256 columns (line 1)"},
                        Case{"indented", indented, "is indented deeper than 256 columns (line 256)"},
                        Case{"many", many, "has more than 100000 nodes"},
                        Case{"large", "a: '" + std::string(2 << 20, 'x') + "'\n", "is larger than 1 MiB"}}) {
    auto a = LoadKubeconfig(Write(c.name, c.content), "", clock_);
    ASSERT_FALSE(a.ok()) << c.name;
    EXPECT_THAT(a.error(), HasSubstr(c.why)) << c.name;
  }
  EXPECT_THAT(LoadKubeconfig("/dev/zero", "", clock_).error(), HasSubstr("is larger than 1 MiB"));
}

// What stays below the shape limits reaches yaml-cpp, whose errors are all caught.
TEST_F(ClusterAccessTest, YamlErrorsWithinTheLimitsAreCaught) {
  for (const std::string& text : {std::string(64, '['), std::string(64, '{'), std::string("- - - [a, {b: ]\n"),
                                  std::string("a: *nope\n"), std::string("\t- x\n  y: : :\n")}) {
    auto a = LoadKubeconfig(Write("y", text), "", clock_);
    ASSERT_FALSE(a.ok()) << text;
    EXPECT_THAT(a.error(), ::testing::StartsWith("kubeconfig ")) << text;
  }
}

TEST(YamlShapeTest, OrdinaryKubeconfigShapesPass) {
  EXPECT_FALSE(CheckYamlShape("apiVersion: v1\nclusters:\n- name: c\n  cluster:\n    server: https://x\n"
                              "    certificate-authority-data: " + std::string(4000, 'Q') + "\n"
                              "users:\n- name: u\n  user:\n    exec:\n      args: [\"--a=[b]\", '{c}']\n"));
  EXPECT_FALSE(CheckYamlShape(std::string(64, '[') + std::string(64, ']')));
  EXPECT_TRUE(CheckYamlShape(std::string(65, '[') + std::string(65, ']')));
}

TEST_F(ClusterAccessTest, InClusterUsesServiceAccountFiles) {
  Write("ca.crt", "CA");
  Write("token", "sa-token");
  config::Environment env{{"KUBERNETES_SERVICE_HOST", "10.96.0.1"}, {"KUBERNETES_SERVICE_PORT", "443"}};
  auto a = LoadInCluster(env, clock_, dir_.string());
  ASSERT_TRUE(a.ok()) << a.error();
  EXPECT_EQ(a->server, "https://10.96.0.1:443");
  EXPECT_EQ(a->trust.ca_file, (dir_ / "ca.crt").string());
  EXPECT_EQ(a->credentials->Get()->token, "sa-token");
  env["KUBERNETES_SERVICE_HOST"] = "fd00::1";
  EXPECT_EQ(LoadInCluster(env, clock_, dir_.string())->server, "https://[fd00::1]:443");
}

TEST_F(ClusterAccessTest, InClusterWithoutTokenExplainsWhy) {
  Write("ca.crt", "CA");
  auto a = LoadInCluster({{"KUBERNETES_SERVICE_HOST", "10.96.0.1"}}, clock_, dir_.string());
  ASSERT_FALSE(a.ok());
  EXPECT_THAT(a.error(), HasSubstr("automountServiceAccountToken"));
}

TEST_F(ClusterAccessTest, ResolutionOrderFlagThenKubeconfigEnv) {
  auto path = Kubeconfig("", "    token: from-file\n");
  auto a = ResolveClusterAccess("", "", {{"KUBECONFIG", path + ":" + (dir_ / "missing").string()}}, clock_);
  ASSERT_TRUE(a.ok()) << a.error();
  EXPECT_EQ(a->source, path + ":" + (dir_ / "missing").string());
  EXPECT_EQ(a->credentials->Get()->token, "from-file");
  // The flag wins over the environment.
  auto other = Write("flag", "current-context: f\ncontexts: [{name: f, context: {cluster: c, user: u}}]\n"
                             "clusters: [{name: c, cluster: {server: 'https://flag:443'}}]\n"
                             "users: [{name: u, user: {token: from-flag}}]\n");
  auto flagged = ResolveClusterAccess(other, "", {{"KUBECONFIG", path}}, clock_);
  ASSERT_TRUE(flagged.ok()) << flagged.error();
  EXPECT_EQ(flagged->server, "https://flag:443");
  auto none = ResolveClusterAccess("", "", {{"HOME", dir_.string()}}, clock_);
  ASSERT_FALSE(none.ok());
  EXPECT_THAT(none.error(), HasSubstr("no Kubernetes credentials"));
}

// KUBECONFIG=a:b is merged as kubectl merges it, not cut to its first entry.
class KubeconfigMergeTest : public ClusterAccessTest {
 protected:
  // A cluster in one directory, the user in another, the context in a third file.
  void SetUp() override {
    ClusterAccessTest::SetUp();
    fs::create_directories(dir_ / "clusters");
    fs::create_directories(dir_ / "users");
    Write("clusters/ca.crt", "CA");
    clusters_ = Write("clusters/config", "clusters:\n- name: c\n  cluster: {server: 'https://first:443', certificate-authority: ca.crt}\n"
                                         "- name: c2\n  cluster: {server: 'https://second-only:443'}\n");
    Write("users/token", "tok\n");
    users_ = Write("users/config", "users:\n- name: u\n  user: {tokenFile: token}\n");
    context_ = Write("context", "current-context: main\ncontexts:\n- name: main\n  context: {cluster: c, user: u}\n"
                                "- name: alt\n  context: {cluster: c2, user: u}\n");
  }
  config::Environment Env(const std::vector<std::string>& paths) {
    std::string joined;
    for (const auto& p : paths) joined += (joined.empty() ? "" : ":") + p;
    return {{"KUBECONFIG", joined}};
  }
  std::string clusters_, users_, context_;
};

TEST_F(KubeconfigMergeTest, ClusterUserAndContextFromDifferentFilesWithPathsRelativeToEach) {
  auto a = ResolveClusterAccess("", "", Env({context_, clusters_, users_}), clock_);
  ASSERT_TRUE(a.ok()) << a.error();
  EXPECT_EQ(a->server, "https://first:443");
  EXPECT_EQ(a->trust.ca_file, (dir_ / "clusters" / "ca.crt").string());
  auto cred = a->credentials->Get();
  ASSERT_TRUE(cred.ok()) << cred.error();
  EXPECT_EQ(cred->token, "tok");
}

TEST_F(KubeconfigMergeTest, FirstFileToDefineANameWins) {
  auto shadow = Write("shadow", "current-context: alt\n"
                                "clusters: [{name: c, cluster: {server: 'https://shadowed:443'}}]\n"
                                "users: [{name: u, user: {token: shadowed}}]\n");
  // context_ comes first: its current-context (main) and cluster c win over shadow's.
  auto a = ResolveClusterAccess("", "", Env({context_, clusters_, users_, shadow}), clock_);
  ASSERT_TRUE(a.ok()) << a.error();
  EXPECT_EQ(a->server, "https://first:443");
  EXPECT_EQ(a->credentials->Get()->token, "tok");
  // shadow first: its cluster c and user u win, and so does its current-context.
  auto b = ResolveClusterAccess("", "", Env({shadow, context_, clusters_, users_}), clock_);
  ASSERT_TRUE(b.ok()) << b.error();
  EXPECT_EQ(b->server, "https://second-only:443");  // context alt -> cluster c2, only in clusters_
  EXPECT_EQ(b->credentials->Get()->token, "shadowed");
  // A file without a current-context does not reset the one already found.
  auto c = ResolveClusterAccess("", "", Env({users_, context_, clusters_}), clock_);
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c->server, "https://first:443");
}

TEST_F(KubeconfigMergeTest, MissingFilesAndEmptyEntriesAreSkipped) {
  const std::string missing = (dir_ / "missing").string();
  auto a = ResolveClusterAccess("", "", Env({missing, context_, "", clusters_, users_, missing + "2"}), clock_);
  ASSERT_TRUE(a.ok()) << a.error();
  EXPECT_EQ(a->server, "https://first:443");
  auto none = ResolveClusterAccess("", "", Env({missing, missing + "2"}), clock_);
  ASSERT_FALSE(none.ok());
  EXPECT_THAT(none.error(), HasSubstr("none of these files exists"));
  // An explicit --kubeconfig that is missing stays an error.
  EXPECT_THAT(ResolveClusterAccess(missing, "", {}, clock_).error(), HasSubstr("cannot be read"));
}

TEST_F(KubeconfigMergeTest, AnInvalidFileIsAnErrorNamingIt) {
  auto bad = Write("bad", "clusters: [\n");
  auto a = ResolveClusterAccess("", "", Env({context_, bad, clusters_, users_}), clock_);
  ASSERT_FALSE(a.ok());
  EXPECT_THAT(a.error(), HasSubstr(bad + ": is not valid YAML"));
}

TEST_F(KubeconfigMergeTest, NamedContextAcrossFilesAndAMissingUserIsNamed) {
  auto a = ResolveClusterAccess("", "alt", Env({context_, clusters_, users_}), clock_);
  ASSERT_TRUE(a.ok()) << a.error();
  EXPECT_EQ(a->server, "https://second-only:443");
  auto no_user = ResolveClusterAccess("", "", Env({context_, clusters_}), clock_);
  ASSERT_FALSE(no_user.ok());
  EXPECT_THAT(no_user.error(), HasSubstr("has no user named 'u'"));
}

}  // namespace
}  // namespace kube9::kube
