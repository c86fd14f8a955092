#include "loader/plugin_graph.h"

#include <algorithm>

namespace ferry::loader {
namespace {

std::string describe(const GraphNode& n) {
  return "'" + n.instance + "' (" + ferry_kind_name(n.kind) + ", " + n.library + ")";
}

}  // namespace

GraphResult order_instances(const std::vector<GraphNode>& nodes) {
  GraphResult result;
  const size_t n = nodes.size();
  // deps[i]: instances i must start after.
  std::vector<std::vector<size_t>> deps(n);
  for (size_t i = 0; i < n; ++i) {
    for (const Requirement& r : nodes[i].requirements) {
      bool found = false;
      for (size_t j = 0; j < n; ++j) {
        if (j == i || nodes[j].kind != r.kind) continue;
        deps[i].push_back(j);
        found = true;
      }
      if (!found && !r.optional)
        result.errors.push_back({i, "plugin " + describe(nodes[i]) + " requires a " +
                                ferry_kind_name(r.kind) + " plugin, but no " +
                                ferry_kind_name(r.kind) + " instance is configured"});
    }
  }
  // Depth-first, visiting in config order: a node is emitted after all its
  // requirements; meeting a node on the current path is a cycle.
  enum class Mark { kNone, kOnPath, kDone };
  std::vector<Mark> mark(n, Mark::kNone);
  std::vector<size_t> path;
  bool cycle_reported = false;
  auto visit = [&](auto&& self, size_t i) -> void {
    if (mark[i] == Mark::kDone) return;
    if (mark[i] == Mark::kOnPath) {
      if (cycle_reported) return;
      cycle_reported = true;
      // path from i's first appearance to the end, closed back to i.
      auto from = std::find(path.begin(), path.end(), i);
      std::string text = "requirement cycle: ";
      for (auto it = from; it != path.end(); ++it) {
        size_t next = (it + 1 == path.end()) ? i : *(it + 1);
        if (it != from) text += ", which ";
        text += (it == from ? "plugin " + describe(nodes[*it]) + " " : std::string()) +
                "requires " + describe(nodes[next]);
      }
      result.errors.push_back({*from, text});
      return;
    }
    mark[i] = Mark::kOnPath;
    path.push_back(i);
    for (size_t d : deps[i]) self(self, d);
    path.pop_back();
    mark[i] = Mark::kDone;
    result.order.push_back(i);
  };
  for (size_t i = 0; i < n; ++i) visit(visit, i);
  if (!result.errors.empty()) result.order.clear();
  return result;
}

}  // namespace ferry::loader
