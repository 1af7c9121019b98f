// The chat page's file server: which request paths may name a file, and
// that a served folder cannot be left through '..', encodings or links.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "signal/request_path.hpp"
#include "signal/static_files.hpp"

namespace turnpike::signal {
namespace {

using Segments = std::vector<std::string>;

TEST(RequestPath, NamesFilesAndFolderIndexes) {
    EXPECT_EQ(request_path_segments("/"), Segments{"index.html"});
    EXPECT_EQ(request_path_segments("/app.js"), Segments{"app.js"});
    EXPECT_EQ(request_path_segments("/img/logo.svg"), (Segments{"img", "logo.svg"}));
    EXPECT_EQ(request_path_segments("/img/"), (Segments{"img", "index.html"}));
    EXPECT_EQ(request_path_segments("//a///b"), (Segments{"a", "b"}));
    EXPECT_EQ(request_path_segments("/my%20file.txt"), Segments{"my file.txt"});
    EXPECT_EQ(request_path_segments("/caf%C3%A9.txt"), Segments{"caf\xC3\xA9.txt"});
}

TEST(RequestPath, RefusesTraversalInEveryEncoding) {
    for (const char* bad :
         {"/..", "/../etc/passwd", "/a/../../b", "/.", "/a/./b", "/%2e%2e/x", "/%2E%2E/x",
          "/.%2e/x", "/a/%2e%2e", "/%2e", "/..%2fetc", "/a%2f..%2f..%2fetc", "/%c0%ae%c0%ae/x",
          "/%c0%afetc", "/..\\x", "/a\\..\\b", "/%5c..%5cb"}) {
        EXPECT_EQ(request_path_segments(bad), std::nullopt) << bad;
    }
}

TEST(RequestPath, RefusesNulControlsBadEscapesAndDotFiles) {
    for (const char* bad :
         {"/a%00.html", "/a%0d%0aSet-Cookie:x", "/a%7f", "/a%", "/a%2", "/a%zz", "/%ff",
          "/.git/config", "/.env", "/a/.hidden", "", "index.html", "http://host/", "*"}) {
        EXPECT_EQ(request_path_segments(bad), std::nullopt) << bad;
    }
    EXPECT_EQ(request_path_segments(std::string("/a\0b", 4)), std::nullopt);
    EXPECT_EQ(request_path_segments("/" + std::string(1100, 'a')), std::nullopt);
    std::string deep;
    for (int i = 0; i < 20; ++i) {
        deep += "/d";
    }
    EXPECT_EQ(request_path_segments(deep), std::nullopt);
}

// A served folder beside a secret, with links that point out of it.
class StaticFilesTest : public ::testing::Test {
  protected:
    void SetUp() override {
        char name[] = "/tmp/turnpike-static-XXXXXX";
        base_ = mkdtemp(name);
        root_ = base_ + "/web";
        ::mkdir(root_.c_str(), 0755);
        ::mkdir((root_ + "/sub").c_str(), 0755);
        write(base_ + "/secret.txt", "secret");
        write(root_ + "/index.html", "<p>hi</p>");
        write(root_ + "/sub/app.js", "export {};");
        ASSERT_EQ(::symlink((base_ + "/secret.txt").c_str(), (root_ + "/link.txt").c_str()), 0);
        ASSERT_EQ(::symlink(base_.c_str(), (root_ + "/up").c_str()), 0);
        ASSERT_EQ(::mkfifo((root_ + "/fifo").c_str(), 0600), 0);
    }
    void TearDown() override { std::system(("rm -rf '" + base_ + "'").c_str()); }

    static void write(const std::string& path, const std::string& text) {
        std::ofstream(path) << text;
    }
    std::string get(std::string_view target, std::string_view method = "GET",
                    std::string_view if_none_match = {}) {
        StaticFiles files(root_);
        return files.respond({method, target, "127.0.0.1:8080", if_none_match, {}});
    }

    std::string base_;
    std::string root_;
};

TEST_F(StaticFilesTest, ServesFilesWithTypeLengthAndHeaders) {
    std::string index = get("/");
    EXPECT_TRUE(index.starts_with("HTTP/1.1 200 OK\r\n")) << index;
    EXPECT_NE(index.find("Content-Type: text/html; charset=utf-8\r\n"), std::string::npos);
    EXPECT_NE(index.find("Content-Length: 9\r\n"), std::string::npos);
    EXPECT_NE(index.find("X-Content-Type-Options: nosniff\r\n"), std::string::npos);
    EXPECT_NE(index.find("connect-src 'self' ws://127.0.0.1:8080 wss://127.0.0.1:8080;"),
              std::string::npos);
    EXPECT_TRUE(index.ends_with("\r\n\r\n<p>hi</p>"));
    std::string script = get("/sub/app.js");
    EXPECT_NE(script.find("Content-Type: text/javascript; charset=utf-8\r\n"), std::string::npos);
}

TEST_F(StaticFilesTest, HeadHasTheHeadersButNoBody) {
    std::string head = get("/", "HEAD");
    EXPECT_NE(head.find("Content-Length: 9\r\n"), std::string::npos);
    EXPECT_TRUE(head.ends_with("\r\n\r\n")) << head;
}

TEST_F(StaticFilesTest, EntityTagAnswers304) {
    std::string first = get("/");
    auto at = first.find("ETag: ");
    ASSERT_NE(at, std::string::npos);
    std::string tag = first.substr(at + 6, first.find("\r\n", at) - at - 6);
    EXPECT_TRUE(get("/", "GET", tag).starts_with("HTTP/1.1 304 "));
    EXPECT_TRUE(get("/", "GET", "W/" + tag).starts_with("HTTP/1.1 304 "));
    EXPECT_TRUE(get("/", "GET", "\"other\"").starts_with("HTTP/1.1 200 "));
}

TEST_F(StaticFilesTest, NeverLeavesTheRoot) {
    for (const char* target :
         {"/link.txt", "/up/secret.txt", "/../secret.txt", "/%2e%2e/secret.txt",
          "/sub/..%2f..%2fsecret.txt", "/fifo", "/sub", "/missing.html"}) {
        std::string answer = get(target);
        EXPECT_TRUE(answer.starts_with("HTTP/1.1 404 ")) << target << "\n" << answer;
        EXPECT_EQ(answer.find("secret"), std::string::npos) << target;
    }
}

TEST_F(StaticFilesTest, OtherMethodsGet405WithAllow) {
    for (const char* method : {"POST", "PUT", "DELETE", "OPTIONS"}) {
        std::string answer = get("/", method);
        EXPECT_TRUE(answer.starts_with("HTTP/1.1 405 ")) << method;
        EXPECT_NE(answer.find("Allow: GET, HEAD\r\n"), std::string::npos);
    }
}

TEST_F(StaticFilesTest, LargeFilesAreNotServed) {
    write(root_ + "/big.bin", std::string(StaticFiles::max_file + 1, 'x'));
    EXPECT_TRUE(get("/big.bin").starts_with("HTTP/1.1 404 "));
}

TEST(StaticFilesRoot, AMissingFolderIsAnError) {
    EXPECT_THROW(StaticFiles("/nonexistent/turnpike-web"), std::runtime_error);
}

}  // namespace
}  // namespace turnpike::signal
