// Command line shared by the C++ examples:
//   <example> [--name-servers host:port] [--topic T] [--group G] [--count N] [--broadcasting]
#pragma once

#include <cstdlib>
#include <cstring>
#include <string>

struct ExampleArgs {
  std::string name_servers = "127.0.0.1:10911";
  std::string topic = "ExampleTopic";
  std::string group = "example_group";
  int count = 10;
  bool broadcasting = false;

  ExampleArgs(int argc, char** argv, int default_count = 10) : count(default_count) {
    for (int i = 1; i < argc; ++i) {
      auto value = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
      if (!std::strcmp(argv[i], "--name-servers")) name_servers = value();
      else if (!std::strcmp(argv[i], "--topic")) topic = value();
      else if (!std::strcmp(argv[i], "--group")) group = value();
      else if (!std::strcmp(argv[i], "--count")) count = std::atoi(value().c_str());
      else if (!std::strcmp(argv[i], "--broadcasting")) broadcasting = true;
    }
  }
};
