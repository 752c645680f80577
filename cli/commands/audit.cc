// agentdraft audit tail [-n N] [-f] [--kind K] | audit show RESOURCE — the hash-chained audit
// log (GET /v1/audit). An agent sees rows about its own claims; the owner sees all.
// agentdraft audit export [-o FILE] | audit pubkey | audit verify FILE --pubkey KEY — the chain
// as JSON lines with signed checkpoints (the owner's rows in full, other owners' as links), the
// daemon's public key, and the offline check of an export against that key (docs/audit.md).
// `verify` needs no daemon.
#include <algorithm>
#include <cctype>
#include <fstream>
#include <iostream>
#include <thread>

#include "cli/commands/commands.h"
#include "cli/commands/output.h"
#include "cli/table.h"
#include "common/audit_verify.h"

namespace agentdraft::cli {

namespace {
constexpr auto kRole = Context::Role::kAgentOrOwner;
constexpr int kPage = 1000;

struct TailArgs {
  int n = 20;
  bool follow = false;
  std::string kind;
  std::string interval = "500ms";
};

void PrintRows(Context& ctx, const nlohmann::json& events, bool header) {
  Table t({{"seq", Align::kRight}, {"time"}, {"kind"}, {"resource"}, {"actor"}, {"hash"}});
  for (const nlohmann::json& e : events) {
    t.AddRow({Cell(e["seq"]), Cell(e["at"]), Cell(e["kind"]), Cell(e["resource"]), Cell(e["actor"]),
              Cell(e["hash"]).substr(0, 12)});
  }
  std::string text = t.ToString();
  if (!header) text = text.substr(text.find('\n') + 1);
  ctx.out() << text << std::flush;
}

// Rows after `after` (one page), or the error.
CliResult<Reply> Page(Context& ctx, int64_t after, const std::string& kind, const std::string& resource) {
  std::string q = "/v1/audit?limit=" + std::to_string(kPage) + "&after=" + std::to_string(after);
  if (!kind.empty()) q += "&kind=" + UrlEncode(kind);
  if (!resource.empty()) q += "&resource=" + UrlEncode(resource);
  return ctx.Call(kRole, "GET", q, nullptr, "reading the audit log");
}

ExitCode RunTail(Context& ctx, const TailArgs& a) {
  auto interval = ParseDuration(a.interval);
  if (!interval.ok() || *interval < std::chrono::milliseconds(50)) {
    return ctx.Fail(UsageProblem("--interval: \"" + a.interval + "\" must be a duration of at least 50ms"));
  }
  auto status = ctx.Call(kRole, "GET", "/v1/status", nullptr, "asking the daemon");
  if (!status.ok()) return ctx.Fail(status.error());
  const int64_t head = status->json["counts"].value("audit_rows", int64_t{0});
  const bool owner = status->json["caller"].value("kind", "") == "owner";
  // The owner's rows are (nearly) every row: start n before the head. An agent's rows are a
  // subset: read them all and keep the last n.
  int64_t after = owner && a.kind.empty() ? std::max<int64_t>(0, head - a.n) : 0;
  nlohmann::json kept = nlohmann::json::array();
  for (;;) {
    auto page = Page(ctx, after, a.kind, "");
    if (!page.ok()) return ctx.Fail(page.error());
    const nlohmann::json& events = page->json["events"];
    for (const nlohmann::json& e : events) {
      kept.push_back(e);
      after = e.value("seq", after);
    }
    if (static_cast<int>(kept.size()) > a.n) kept.erase(kept.begin(), kept.end() - a.n);
    if (static_cast<int>(events.size()) < kPage) break;
  }
  if (ctx.json()) ctx.out() << nlohmann::json{{"events", kept}}.dump() << "\n" << std::flush;
  else if (kept.empty() && !a.follow) ctx.out() << "no audit rows\n";
  else PrintRows(ctx, kept, true);
  while (a.follow) {
    std::this_thread::sleep_for(*interval);
    auto page = Page(ctx, after, a.kind, "");
    if (!page.ok()) return ctx.Fail(page.error());
    const nlohmann::json& events = page->json["events"];
    if (events.empty()) continue;
    for (const nlohmann::json& e : events) after = e.value("seq", after);
    if (ctx.json()) ctx.out() << page->body << "\n" << std::flush;
    else PrintRows(ctx, events, false);
  }
  return ExitCode::kOk;
}

ExitCode RunShow(Context& ctx, const std::string& resource) {
  auto page = Page(ctx, 0, "", resource);
  if (!page.ok()) return ctx.Fail(page.error());
  return ctx.Print(*page, [&] {
    const nlohmann::json& events = page->json["events"];
    if (events.empty()) ctx.out() << "no audit rows about " << resource << " that you may see\n";
    else PrintRows(ctx, events, true);
  });
}

// --- export, pubkey, verify ---

ExitCode RunExport(Context& ctx, const std::string& file) {
  auto body = ctx.CallRaw(Context::Role::kOwner, "GET", "/v1/audit/export", "exporting the audit log");
  if (!body.ok()) return ctx.Fail(body.error());
  if (file.empty() || file == "-") {
    ctx.out() << *body << std::flush;
    return ExitCode::kOk;
  }
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out << *body;
    out.close();
    if (!out) return ctx.Fail({ExitCode::kError, "cannot write " + file});
  }
  if (!ctx.json()) {
    const auto lines = std::count(body->begin(), body->end(), '\n');
    ctx.out() << "wrote " << file << " (" << lines << " lines); check it with: agentdraft audit verify "
              << file << " --pubkey KEY\n";
  }
  return ExitCode::kOk;
}

ExitCode RunPubkey(Context& ctx) {
  auto reply = ctx.Call(kRole, "GET", "/v1/audit/checkpoint", nullptr, "reading the audit checkpoint");
  if (!reply.ok()) return ctx.Fail(reply.error());
  const nlohmann::json& key = reply->json.is_object() && reply->json.contains("key")
                                  ? reply->json["key"]
                                  : nlohmann::json();
  if (!key.is_string() || !IsPublicKeyHex(key.get<std::string>())) {
    return ctx.Fail({ExitCode::kError, "reading the audit checkpoint: the daemon's answer has no public key"});
  }
  return ctx.Print(*reply, [&] { ctx.out() << key.get<std::string>() << "\n"; });
}

std::string Trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

// --pubkey: the 64-hex key itself, or a file whose first line holds it.
CliResult<std::string> PublicKey(const std::string& arg) {
  std::string key = Trim(arg);
  if (!IsPublicKeyHex(key)) {
    std::ifstream in(arg);
    if (!in) {
      return UsageProblem("--pubkey: \"" + arg + "\" is neither a 64-hex Ed25519 public key nor a "
                          "readable file (get the key with: agentdraft audit pubkey)");
    }
    std::string first;
    std::getline(in, first);
    key = Trim(first);
    if (!IsPublicKeyHex(key)) {
      return UsageProblem("--pubkey: the first line of " + arg +
                          " is not a 64-hex Ed25519 public key (get it with: agentdraft audit pubkey)");
    }
  }
  for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return key;
}

std::string Plural(int64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

// The verdict: "ok: …" on stdout, or every problem on stderr; --json: one object.
void PrintVerification(Context& ctx, const std::string& file, const AuditVerification& v) {
  if (ctx.json()) {
    nlohmann::json problems = nlohmann::json::array();
    for (const AuditProblem& p : v.problems)
      problems.push_back({{"where", p.where}, {"message", p.message}});
    ctx.out() << nlohmann::json{{"ok", v.ok()},
                                {"rows", v.rows},
                                {"links", v.links},
                                {"checkpoints", v.checkpoints},
                                {"owner",
                                 v.owner.empty() ? nlohmann::json() : nlohmann::json(v.owner)},
                                {"problems", problems}}
                     .dump()
              << "\n";
  } else if (v.ok()) {
    ctx.out() << "ok: " << Plural(v.rows, "row", "rows")
              << (v.owner.empty() ? "" : " of " + v.owner) << " verified in full, "
              << Plural(v.links, "link", "links") << " checked, "
              << Plural(v.checkpoints, "checkpoint", "checkpoints")
              << (v.owner.empty() ? "" : " and the owner statement")
              << ", chain and signatures verified\n";
  } else {
    for (const AuditProblem& p : v.problems) ctx.err() << AuditProblemLine(p) << "\n";
    ctx.err() << "agentdraft: " << file
              << " does not verify: " << Plural(v.problems.size(), "problem", "problems")
              << " (read " << Plural(v.rows, "row", "rows") << ", "
              << Plural(v.links, "link", "links") << ", "
              << Plural(v.checkpoints, "checkpoint", "checkpoints") << ")\n";
  }
}

struct VerifyArgs {
  std::string file;
  std::string pubkey;
};

ExitCode RunVerify(Context& ctx, const VerifyArgs& a) {
  auto key = PublicKey(a.pubkey);
  if (!key.ok()) return ctx.Fail(key.error());
  AuditVerification v;
  if (a.file == "-") {
    v = VerifyAuditExport(std::cin, *key);
  } else {
    std::ifstream in(a.file, std::ios::binary);
    if (!in) return ctx.Fail(UsageProblem("cannot read " + a.file + ": no such file, or not readable"));
    v = VerifyAuditExport(in, *key);
  }
  PrintVerification(ctx, a.file, v);
  return v.ok() ? ExitCode::kOk : ExitCode::kError;
}
}  // namespace

void SetupAudit(CLI::App& command, CommandSet& set) {
  CLI::App* noun = command.require_subcommand(1);
  auto tail = std::make_shared<TailArgs>();
  CLI::App* t = noun->add_subcommand("tail", "the latest rows; -f keeps following");
  t->add_option("-n,--lines", tail->n, "how many rows (default 20)")->check(CLI::Range(1, 100000));
  t->add_flag("-f,--follow", tail->follow, "keep printing new rows as they are written");
  t->add_option("--kind", tail->kind, "only rows of this kind, e.g. booking.committed");
  t->add_option("--interval", tail->interval, "how often -f asks (default 500ms)");
  set.On(t, [tail](Context& ctx) { return RunTail(ctx, *tail); });

  auto resource = std::make_shared<std::string>();
  CLI::App* s = noun->add_subcommand("show", "every row about one resource (a race's whole trail)");
  s->add_option("resource", *resource, "bkg_…, hld_…, agt_…")->required();
  set.On(s, [resource](Context& ctx) { return RunShow(ctx, *resource); });

  auto file = std::make_shared<std::string>();
  CLI::App* e = noun->add_subcommand("export",
                                     "the chain with signed checkpoints, as JSON lines: your rows "
                                     "in full, others' as links (owner)");
  e->add_option("-o,--output", *file, "write to FILE instead of stdout");
  set.On(e, [file](Context& ctx) { return RunExport(ctx, *file); });

  CLI::App* p = noun->add_subcommand("pubkey", "the daemon's Ed25519 public key that signs checkpoints");
  set.On(p, [](Context& ctx) { return RunPubkey(ctx); });

  auto verify = std::make_shared<VerifyArgs>();
  CLI::App* v = noun->add_subcommand("verify", "check an export offline: chain, checkpoints and signatures");
  v->add_option("file", verify->file, "the export (from audit export; - for stdin)")->required();
  v->add_option("--pubkey", verify->pubkey, "the public key (64 hex, from audit pubkey) or a file holding it")
      ->required();
  set.On(v, [verify](Context& ctx) { return RunVerify(ctx, *verify); });
}

}  // namespace agentdraft::cli
