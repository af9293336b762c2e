#include "http/web_config.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "http/basic_auth.h"
#include "testing/test_pki.h"

namespace kube9::http {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::SizeIs;

// A bcrypt hash of "secret" at the lowest cost (tests stay fast).
const std::string& SecretHash() {
  static const std::string hash = HashBcrypt("secret", 4);
  return hash;
}

WebConfigProblems ProblemsOf(std::string_view yaml) {
  auto c = ParseWebConfig(yaml, "/etc/web/");
  return c.ok() ? WebConfigProblems{} : c.error();
}

TEST(ParseWebConfigTest, EmptyFileIsPlainHttpWithoutAuthentication) {
  auto c = ParseWebConfig("", "/etc/web/");
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->tls.has_value());
  EXPECT_THAT(c->basic_auth_users, IsEmpty());
  EXPECT_THAT(c->headers, IsEmpty());
  EXPECT_TRUE(ParseWebConfig("# only a comment\n", "").ok());
}

TEST(ParseWebConfigTest, EveryKeyIsRead) {
  auto c = ParseWebConfig(R"(
tls_server_config:
  cert_file: tls.crt
  key_file: /abs/tls.key
  client_ca_file: ../ca/ca.crt
  client_auth_type: RequireAndVerifyClientCert
  client_allowed_sans: [prometheus.monitoring.svc, "spiffe://cluster.local/ns/monitoring/sa/prometheus"]
  min_version: TLS13
  max_version: TLS13
  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384]
  curve_preferences: [X25519, CurveP256]
  prefer_server_cipher_suites: false
http_server_config:
  http2: false
  headers:
    X-Frame-Options: deny
    X-Content-Type-Options: nosniff
    Strict-Transport-Security: max-age=31536000
    Content-Security-Policy: ""
basic_auth_users:
  prometheus: )" + SecretHash() + "\n",
                          "/etc/web/");
  ASSERT_TRUE(c.ok()) << ::testing::PrintToString(c.error());
  ASSERT_TRUE(c->tls.has_value());
  const TlsSettings& t = *c->tls;
  EXPECT_EQ(t.cert_file, "/etc/web/tls.crt") << "relative to the config file's directory";
  EXPECT_EQ(t.key_file, "/abs/tls.key");
  EXPECT_EQ(t.client_ca_file, "/etc/web/../ca/ca.crt");
  EXPECT_EQ(t.client_auth, ClientAuth::kRequireAndVerifyClientCert);
  EXPECT_THAT(t.client_allowed_sans,
              ElementsAre("prometheus.monitoring.svc", "spiffe://cluster.local/ns/monitoring/sa/prometheus"));
  EXPECT_EQ(t.min_version, kTls13);
  EXPECT_EQ(t.max_version, kTls13);
  EXPECT_THAT(t.cipher_suites, ElementsAre("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384"));
  EXPECT_THAT(t.curve_preferences, ElementsAre("X25519", "CurveP256"));
  EXPECT_FALSE(t.prefer_server_cipher_suites);
  EXPECT_FALSE(c->http2);
  EXPECT_THAT(c->headers, ElementsAre(Pair("X-Frame-Options", "deny"), Pair("X-Content-Type-Options", "nosniff"),
                                      Pair("Strict-Transport-Security", "max-age=31536000")))
      << "a blank header is unset";
  EXPECT_THAT(c->basic_auth_users, ElementsAre(Pair("prometheus", SecretHash())));
}

TEST(ParseWebConfigTest, DefaultsAreExporterToolkits) {
  auto c = ParseWebConfig("tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n", "");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->tls->cert_file, "a.crt") << "no directory: relative to the working directory";
  EXPECT_EQ(c->tls->client_auth, ClientAuth::kNoClientCert);
  EXPECT_EQ(c->tls->min_version, kTls12);
  EXPECT_EQ(c->tls->max_version, kTls13);
  EXPECT_TRUE(c->tls->prefer_server_cipher_suites);
  EXPECT_TRUE(c->http2);
}

TEST(ParseWebConfigTest, ClientAuthTypesAndTheOldSpelling) {
  for (const auto& [name, want] : std::vector<std::pair<std::string, ClientAuth>>{
           {"NoClientCert", ClientAuth::kNoClientCert},
           {"RequestClientCert", ClientAuth::kRequestClientCert},
           {"RequireAnyClientCert", ClientAuth::kRequireAnyClientCert},
           {"RequireClientCert", ClientAuth::kRequireAnyClientCert},
           {"VerifyClientCertIfGiven", ClientAuth::kVerifyClientCertIfGiven},
           {"RequireAndVerifyClientCert", ClientAuth::kRequireAndVerifyClientCert}}) {
    const bool verifies =
        want == ClientAuth::kVerifyClientCertIfGiven || want == ClientAuth::kRequireAndVerifyClientCert;
    auto c = ParseWebConfig("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: " + name +
                                (verifies ? "\n  client_ca_file: ca\n" : "\n"),
                            "");
    ASSERT_TRUE(c.ok()) << name << ": " << ::testing::PrintToString(c.error());
    EXPECT_EQ(c->tls->client_auth, want) << name;
  }
}

TEST(ParseWebConfigTest, InlinePem) {
  auto c = ParseWebConfig("tls_server_config:\n  cert: |\n    CERT\n  key: |\n    KEY\n  client_ca: CA\n"
                          "  client_auth_type: RequireAndVerifyClientCert\n",
                          "/d/");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->tls->cert_pem, "CERT\n");
  EXPECT_EQ(c->tls->key_pem, "KEY\n");
  EXPECT_EQ(c->tls->client_ca_pem, "CA");
  EXPECT_EQ(c->tls->cert_file, "");
}

TEST(ParseWebConfigTest, EveryProblemIsListedAtOnce) {
  auto problems = ProblemsOf(R"(
tls_server_config:
  cert_file: a.crt
  client_auth_type: Sometimes
  min_version: TLS10
  max_version: TLS14
  cipher_suites: [TLS_MADE_UP_WITH_ROT13]
  curve_preferences: [CurveP1024]
  prefer_server_cipher_suites: perhaps
  sni: example.com
http_server_config:
  http3: true
  headers:
    X-Powered-By: kube9
    X-Frame-Options: allow
    X-Content-Type-Options: sniff
basic_auth_users:
  alice: plaintext-password
  bob: $1$md5$abcdefghijklmnopqrstuv
rate_limit:
  interval: 1s
web_listen_address: :9090
)");
  EXPECT_THAT(problems,
              AllOf(Contains(HasSubstr("tls_server_config.client_auth_type: unknown value 'Sometimes'")),
                    Contains(HasSubstr("tls_server_config.min_version: TLS10 is not supported")),
                    Contains(HasSubstr("tls_server_config.max_version: unknown TLS version 'TLS14'")),
                    Contains(HasSubstr("unknown cipher suite 'TLS_MADE_UP_WITH_ROT13'")),
                    Contains(HasSubstr("unknown curve 'CurveP1024'")),
                    Contains(HasSubstr("tls_server_config.prefer_server_cipher_suites: must be true or false")),
                    Contains(HasSubstr("tls_server_config: unknown key 'sni'")),
                    Contains(HasSubstr("tls_server_config: missing key_file (or key)")),
                    Contains(HasSubstr("http_server_config: unknown key 'http3'")),
                    Contains(HasSubstr("header 'X-Powered-By' cannot be configured")),
                    Contains(HasSubstr("X-Frame-Options: must be deny or sameorigin, not 'allow'")),
                    Contains(HasSubstr("X-Content-Type-Options: must be nosniff")),
                    Contains(HasSubstr("basic_auth_users.alice: not a bcrypt hash")),
                    Contains(HasSubstr("basic_auth_users.bob: not a bcrypt hash")),
                    Contains(HasSubstr("rate_limit: not supported")), Contains(HasSubstr("unknown key 'web_listen_address'"))));
  EXPECT_THAT(problems, SizeIs(16));
  for (const auto& p : problems) {
    EXPECT_THAT(p, ::testing::Not(HasSubstr("plaintext-password"))) << "a password written in clear is not echoed";
  }
}

TEST(ParseWebConfigTest, ClientCertificatePolicyMustBeCoherent) {
  EXPECT_THAT(ProblemsOf("tls_server_config: {cert_file: a, key_file: b, client_ca_file: ca}"),
              ElementsAre(HasSubstr("client_ca_file is set but client_auth_type is NoClientCert")));
  EXPECT_THAT(ProblemsOf("tls_server_config: {cert_file: a, key_file: b, client_auth_type: RequireAndVerifyClientCert}"),
              ElementsAre(HasSubstr("RequireAndVerifyClientCert needs client_ca_file")));
  EXPECT_THAT(ProblemsOf("tls_server_config: {cert_file: a, key_file: b, client_auth_type: VerifyClientCertIfGiven}"),
              ElementsAre(HasSubstr("VerifyClientCertIfGiven needs client_ca_file")));
  EXPECT_THAT(ProblemsOf("tls_server_config: {cert_file: a, key_file: b, client_auth_type: RequestClientCert, "
                         "client_allowed_sans: [x]}"),
              ElementsAre(HasSubstr("client_allowed_sans needs client_auth_type RequireAnyClientCert or")));
  EXPECT_THAT(ProblemsOf("tls_server_config: {cert_file: a, key_file: b, cert: c}"),
              ElementsAre(HasSubstr("set cert_file or cert, not both")));
  EXPECT_THAT(ProblemsOf("tls_server_config: {cert_file: a, key_file: b, min_version: TLS13, max_version: TLS12}"),
              ElementsAre(HasSubstr("min_version is higher than max_version")));
  EXPECT_THAT(ProblemsOf("tls_server_config: {min_version: TLS13}"),
              ElementsAre(HasSubstr("has no cert_file and key_file")))
      << "settings that would silently leave TLS off are refused";
}

TEST(ParseWebConfigTest, BadYamlAndWrongShapes) {
  EXPECT_THAT(ProblemsOf("tls_server_config: [unclosed"), ElementsAre(HasSubstr("not valid YAML")));
  EXPECT_THAT(ProblemsOf("- a\n- b\n"), ElementsAre(HasSubstr("must be a YAML mapping")));
  EXPECT_THAT(ProblemsOf("tls_server_config: yes\nbasic_auth_users: [a]\nhttp_server_config: 3\n"),
              ElementsAre(HasSubstr("tls_server_config: must be a mapping"), HasSubstr("basic_auth_users: must be a mapping"),
                          HasSubstr("http_server_config: must be a mapping")));
  EXPECT_THAT(ProblemsOf("tls_server_config: {cert_file: [a], key_file: b}"),
              Contains(HasSubstr("tls_server_config.cert_file: must be a string")));
  EXPECT_THAT(ProblemsOf("basic_auth_users: {\"a:b\": x}"), ElementsAre(HasSubstr("without ':'")));
}

TEST(IsBcryptHashTest, AcceptsTheThreeBcryptPrefixesOnly) {
  const std::string body = SecretHash().substr(4);  // "04$" + 53 characters
  EXPECT_TRUE(IsBcryptHash("$2a$" + body));
  EXPECT_TRUE(IsBcryptHash("$2b$" + body));
  EXPECT_TRUE(IsBcryptHash("$2y$" + body));
  EXPECT_FALSE(IsBcryptHash("$2x$" + body)) << "the buggy pre-2011 variant";
  EXPECT_FALSE(IsBcryptHash("$2b$03" + body.substr(2))) << "cost below 4";
  EXPECT_FALSE(IsBcryptHash("$2b$32" + body.substr(2))) << "cost above 31";
  EXPECT_FALSE(IsBcryptHash(SecretHash().substr(0, 59)));
  EXPECT_FALSE(IsBcryptHash("$6$saltsalt$" + std::string(86, 'a'))) << "SHA-512 crypt";
  EXPECT_FALSE(IsBcryptHash(SecretHash().substr(0, 59) + "!"));
}

class LoadWebConfigTest : public ::testing::Test {
 protected:
  LoadWebConfigTest() {
    dir_ = std::filesystem::temp_directory_path() / ("web_config_test." + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_ / "tls");
    ca_ = testing::MakeCert("test CA", "", nullptr, true);
    server_ = testing::MakeCert("localhost", "DNS:localhost,IP:127.0.0.1", &ca_, false, 2);
    Write("tls/tls.crt", server_.cert_pem);
    Write("tls/tls.key", server_.key_pem);
    Write("tls/ca.crt", ca_.cert_pem);
  }
  ~LoadWebConfigTest() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& content) {
    std::ofstream(dir_ / name) << content;
    return (dir_ / name).string();
  }

  std::filesystem::path dir_;
  testing::KeyPair ca_, server_;
};

TEST_F(LoadWebConfigTest, ReadsTheFilesRelativeToTheConfig) {
  const auto path = Write("web.yml",
                          "tls_server_config:\n  cert_file: tls/tls.crt\n  key_file: tls/tls.key\n"
                          "  client_ca_file: tls/ca.crt\n  client_auth_type: RequireAndVerifyClientCert\n");
  auto c = LoadWebConfig(path);
  ASSERT_TRUE(c.ok()) << ::testing::PrintToString(c.error());
  EXPECT_EQ(c->tls->cert_file, (dir_ / "tls/tls.crt").string());
}

TEST_F(LoadWebConfigTest, FileProblemsAreListedTogether) {
  Write("tls/other.key", testing::MakeCert("other", "", nullptr, false).key_pem);
  Write("tls/empty.crt", "");
  auto c = LoadWebConfig(Write("web.yml",
                               "tls_server_config:\n  cert_file: tls/tls.crt\n  key_file: tls/other.key\n"
                               "  client_ca_file: tls/missing.crt\n  client_auth_type: RequireAndVerifyClientCert\n"));
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.error(), ElementsAre(HasSubstr("key_file " + (dir_ / "tls/other.key").string() +
                                               ": the key does not belong to the certificate"),
                                     HasSubstr("client_ca_file " + (dir_ / "tls/missing.crt").string() +
                                               ": cannot read it: No such file or directory")));

  c = LoadWebConfig(Write("web.yml", "tls_server_config:\n  cert_file: tls/empty.crt\n  key_file: tls/ca.crt\n"));
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.error(), ElementsAre(HasSubstr("cert_file " + (dir_ / "tls/empty.crt").string() + ": is empty"),
                                     HasSubstr("key_file " + (dir_ / "tls/ca.crt").string() + ": no usable PEM private key")));
}

TEST_F(LoadWebConfigTest, FileProblemsComeWithTheOtherProblems) {
  auto c = LoadWebConfig(Write("web.yml",
                               "tls_server_config:\n  cert_file: tls/absent.crt\n  key_file: tls/tls.key\n"
                               "  cipher_suites: [NOPE]\nbasic_auth_users:\n  alice: hunter2\n"));
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.error(), ElementsAre(HasSubstr("unknown cipher suite 'NOPE'"), HasSubstr("basic_auth_users.alice"),
                                     HasSubstr("cert_file " + (dir_ / "tls/absent.crt").string() + ": cannot read it")));
}

TEST_F(LoadWebConfigTest, MissingOrOversizedConfig) {
  auto c = LoadWebConfig((dir_ / "nope.yml").string());
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.error(), ElementsAre("cannot read it: No such file or directory"));
  c = LoadWebConfig(Write("big.yml", "# " + std::string(kMaxWebFileBytes, 'x') + "\n"));
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.error(), ElementsAre("cannot read it: is larger than 1 MiB"));
  c = LoadWebConfig(dir_.string());
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.error(), ElementsAre("cannot read it: is not a regular file"));
}

}  // namespace
}  // namespace kube9::http
