// The command table (cli/commands/commands.h) run in process through RunCommandLine
// (cli/command_line.h) against a real agentdraftd: the exit code, stdout and stderr are the
// ones the `agentdraft` binary gives for the same words. And --help lists every row.
#include "cli/command_line.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands/commands.h"
#include "tests/cli/cli_test_support.h"
#include "tests/cli/run_process.h"
#include "tests/e2e/e2e_support.h"

namespace agentdraft::testing {
namespace {

using nlohmann::json;

// Sets an environment variable for one scope, then puts back what was there.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value, 1);
  }
  ~ScopedEnv() {
    if (old_) ::setenv(name_, old_->c_str(), 1);
    else ::unsetenv(name_);
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// ProcessResult's fields in one line each, so a failure shows all of them.
std::string Render(const ProcessResult& r) {
  return "exit " + std::to_string(r.exit_code) + "\nstdout:\n" + r.out + "stderr:\n" + r.err;
}

ProcessResult InProcess(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  ProcessResult r;
  r.exit_code = cli::RunCommandLine(args, out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

class CommandTableTest : public CliTest {
 protected:
  // `agentdraft ARGS…` in this process, with the test daemon's socket and URL as flags and,
  // as in CliTest::Run, no identity or time zone from the environment.
  ProcessResult Cli(std::vector<std::string> args, const std::string& key = "") {
    ScopedEnv no_key("AGENTDRAFT_API_KEY", ""), no_tz("AGENTDRAFT_TZ", ""), no_color("NO_COLOR", "1");
    std::vector<std::string> line = {"--socket", daemon_->socket_path(), "--base-url", daemon_->base_url()};
    if (!key.empty()) line.insert(line.end(), {"--api-key", key});
    line.insert(line.end(), args.begin(), args.end());
    return InProcess(line);
  }
  // The same words given to the `agentdraft` binary.
  ProcessResult Binary(std::vector<std::string> args, const std::string& key = "") {
    if (!key.empty()) args.insert(args.begin(), {"--api-key", key});
    return Run(std::move(args));
  }
};

TEST_F(CommandTableTest, AgentsAddThenListInProcessAnswerAsTheBinaryDoes) {
  ProcessResult add = Cli({"agents", "add", "exec", "--priority", "1", "--json"});
  ASSERT_EQ(add.exit_code, 0) << Render(add);
  json added = Parse(add);
  EXPECT_EQ(added["name"], "exec");
  EXPECT_EQ(added["plaintext_key"].get<std::string>().rfind("avs_live_", 0), 0u);

  EXPECT_EQ(Render(Cli({"agents", "list", "--json"})), Render(Binary({"agents", "list", "--json"})));
  EXPECT_EQ(Render(Cli({"agents", "list"})), Render(Binary({"agents", "list"})));
}

TEST_F(CommandTableTest, ALosingCommitInProcessExitsThreeAndSaysWhoWon) {
  const std::string exec = AddAgent("exec", 1);
  const std::string sales = AddAgent("sales", 2);
  ProcessResult won = Cli({"commit", At(0), "-d", "30m", "--json"}, exec);
  ASSERT_EQ(won.exit_code, 0) << Render(won);
  EXPECT_EQ(Parse(won)["status"], "COMMITTED");

  ProcessResult lost = Cli({"commit", At(0), "-d", "30m"}, sales);
  EXPECT_EQ(lost.exit_code, 3) << Render(lost);
  EXPECT_EQ(lost.out, "");
  EXPECT_EQ(lost.err.rfind("agentdraft: ", 0), 0u) << lost.err;
  EXPECT_NE(lost.err.find("outranked"), std::string::npos) << lost.err;
  EXPECT_EQ(Render(lost), Render(Binary({"commit", At(0), "-d", "30m"}, sales)));
}

TEST_F(CommandTableTest, ErrorsInProcessHaveTheBinarysExitCodesAndMessages) {
  const std::string bot = AddAgent("bot", 1);
  const std::vector<std::vector<std::string>> lines = {
      {"bookings", "show", "bkg_nope"},        // 7 not found
      {"agents", "rank", "nobody"},            // 2: leaves bot out
      {"agents", "rank"},                      // 2: usage, with the command's help
      {"agents", "launch"},                    // 2: unknown subcommand
      {"commit", "tomorow", "9:00"},           // 2: a bad time (as an agent)
      {"hold"},                                // 2: no start
  };
  for (const std::vector<std::string>& words : lines) {
    const std::string key = words.front() == "commit" ? bot : "";
    const ProcessResult in_process = Cli(words, key);
    EXPECT_NE(in_process.exit_code, 0) << Render(in_process);
    EXPECT_EQ(Render(in_process), Render(Binary(words, key))) << words.front();
  }
  EXPECT_EQ(Cli({"bookings", "show", "bkg_nope"}).exit_code, 7);
  EXPECT_EQ(Cli({"agents", "rank"}).exit_code, 2);
}

TEST_F(CommandTableTest, NoDaemonAtTheSocketInProcessExitsEight) {
  ScopedEnv no_key("AGENTDRAFT_API_KEY", "");
  const ProcessResult r = InProcess({"--socket", dir_.File("no.sock"), "agents", "list"});
  EXPECT_EQ(r.exit_code, 8) << Render(r);
  EXPECT_NE(r.err.find("no daemon at " + dir_.File("no.sock")), std::string::npos) << r.err;
}

TEST(CommandTable, EveryRowHasANameAndASummaryAndHelpListsItOnOneLine) {
  std::set<std::string> names;
  for (const cli::Command& row : cli::CommandTable()) {
    ASSERT_NE(row.name, nullptr);
    ASSERT_NE(row.summary, nullptr);
    ASSERT_NE(row.setup, nullptr);
    EXPECT_NE(std::string(row.name), "");
    EXPECT_NE(std::string(row.summary), "") << row.name;
    EXPECT_EQ(std::string(row.summary).find('\n'), std::string::npos) << row.name;
    EXPECT_TRUE(names.insert(row.name).second) << row.name << " twice";
  }
  const ProcessResult help = InProcess({"--help"});
  ASSERT_EQ(help.exit_code, 0) << help.err;
  std::string missing;
  for (const cli::Command& row : cli::CommandTable()) {
    const size_t at = help.out.find("\n  " + std::string(row.name) + " ");
    const size_t eol = at == std::string::npos ? at : help.out.find('\n', at + 1);
    if (at == std::string::npos || help.out.substr(at, eol - at).find(row.summary) == std::string::npos) {
      missing += std::string(row.name) + "\n";
    }
  }
  EXPECT_EQ(missing, "") << help.out;
}

TEST(CommandTable, HelpInProcessIsTheBinarysHelp) {
  const ProcessResult binary = RunProcess({AGENTDRAFT_CLI_PATH, "--help"});
  EXPECT_EQ(Render(InProcess({"--help"})), Render(binary));
}

TEST(CommandTable, EveryRowIsASubcommandOfTheCommandLineInTableOrder) {
  cli::GlobalOptions global;
  cli::CommandSet set;
  const std::unique_ptr<CLI::App> app = cli::BuildCommandLine(global, set);
  std::string built, table;
  for (const CLI::App* sub : app->get_subcommands({})) built += sub->get_name() + "\n";
  for (const cli::Command& row : cli::CommandTable()) table += std::string(row.name) + "\n";
  EXPECT_EQ(built, table);
}

}  // namespace
}  // namespace agentdraft::testing
