#pragma once
// Builds a commit log record (ferry/record.h layout, IPv4 hosts) for tests
// that feed records to filter plugins.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace ferry::test {

// properties: name/value pairs, encoded name\x01value\x02.
std::string build_record(const std::string& topic, const std::string& body,
                         const std::vector<std::pair<std::string, std::string>>& properties);

}  // namespace ferry::test
