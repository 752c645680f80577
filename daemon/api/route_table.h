// The route table: every route of the API as one row — method, path, who may call it, the
// scope it needs, and its handler (ApiServer::Routes(), route_table.cc).
//
// ApiServer registers its routes from the rows, and checks each row's access and scope before
// its handler runs. Requests no row serves are answered from the same rows: a path no row
// matches is 404 `not_found`; a path some row matches, with a method none of them has, is 405
// `method_not_allowed` with an `Allow` header. The rows are plain data so that other tools (an
// OpenAPI document) can be generated from them.
//
// Thread-safe: constant data and pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <httplib.h>

#include "daemon/engine/engine.h"

namespace agentdraft::api {

class ApiServer;

// Who may call a route.
enum class Access {
  kPublic,        // anyone; the handler checks what it needs (a token, the cookie it ends)
  kAgent,         // an agent: its API key (`Authorization: Bearer`), or the owner acting as it
                  // (`X-Agentdraft-As`, over its session or the Unix socket)
  kOwner,         // the owner: its session cookie (`ad_session`), or the Unix socket's peer
  kAgentOrOwner,  // either
};

// "public", "agent", "owner", "agent_or_owner".
std::string_view AccessName(Access access);

// A route's handler. It runs once the row's access and scope checks have passed; `caller` is
// who called (a default Principal on kPublic routes).
using RouteHandler = void (ApiServer::*)(const httplib::Request& req, const engine::Principal& caller,
                                         httplib::Response& res);

struct Route {
  std::string_view method;  // GET, POST, PUT, PATCH or DELETE; a GET row also answers HEAD
  std::string_view path;    // "/v1/bookings/{booking_id}": each {name} is one path segment
  Access access;
  std::string_view scope;   // the scope an agent's key needs; "" = none (owners have every scope)
  RouteHandler handler;
};

// The regular expression a row's `path` is served under: each {name} becomes ([^/]+).
std::string PathRegex(std::string_view path);

// The methods the table serves on `path` (a request's path), in table order with HEAD after
// GET, each once; empty when no row's path matches. For 405's `Allow`.
std::vector<std::string> AllowedMethods(const std::string& path);

// Answers a request no row serves: 405 `method_not_allowed` with `Allow` when a row's path
// matches its path, else 404 `not_found`.
void RespondUnrouted(const httplib::Request& req, httplib::Response& res);

}  // namespace agentdraft::api
