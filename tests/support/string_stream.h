// StringStream: an httplib::Stream over a string, so that a test can hand one raw request to
// ApiServer::ServeStream (the daemon's routes, error handler and engine, without a socket) and
// read the raw answer back. Shared by tests/unit/api_error_body_test.cc, route_table_test.cc and
// the fuzzers (fuzz/fuzz_support.h).
#pragma once

#include <httplib.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>

namespace agentdraft::testing {

class StringStream final : public httplib::Stream {
 public:
  explicit StringStream(std::string input) : input_(std::move(input)) {}
  bool is_readable() const override { return pos_ < input_.size(); }
  bool is_writable() const override { return true; }
  ssize_t read(char* ptr, size_t size) override {
    const size_t n = std::min(size, input_.size() - pos_);
    std::memcpy(ptr, input_.data() + pos_, n);
    pos_ += n;
    return static_cast<ssize_t>(n);
  }
  ssize_t write(const char* ptr, size_t size) override {
    output_.append(ptr, size);
    return static_cast<ssize_t>(size);
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override { ip = "127.0.0.1"; port = 1; }
  void get_local_ip_and_port(std::string& ip, int& port) const override { ip = "127.0.0.1"; port = 2; }
  socket_t socket() const override { return INVALID_SOCKET; }
  const std::string& output() const { return output_; }

 private:
  std::string input_;
  size_t pos_ = 0;
  std::string output_;
};

}  // namespace agentdraft::testing
