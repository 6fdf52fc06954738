// Runs an executable for integration tests, its output in files.
#pragma once

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <filesystem>
#include <string>
#include <vector>

extern char** environ;

namespace hiedge::testing {

// Starts `args` (args[0] is the binary) with stdout and stderr to stdout.txt and
// stderr.txt in `dir`, stdin from `stdin_file`, in `working_dir` (empty: this
// process's); returns the child's pid, or -1.
inline pid_t SpawnProcess(std::vector<std::string> args, const std::filesystem::path& dir,
                          const std::string& stdin_file = "/dev/null",
                          const std::string& working_dir = "") {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, stdin_file.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, (dir / "stdout.txt").c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, (dir / "stderr.txt").c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (!working_dir.empty()) posix_spawn_file_actions_addchdir_np(&actions, working_dir.c_str());
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  return spawned == 0 ? pid : -1;
}

// SpawnProcess, then waits: the exit code (-1 when it did not exit normally).
inline int RunProcess(std::vector<std::string> args, const std::filesystem::path& dir,
                      const std::string& stdin_file = "/dev/null",
                      const std::string& working_dir = "") {
  const pid_t pid = SpawnProcess(std::move(args), dir, stdin_file, working_dir);
  if (pid < 0) return -1;
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace hiedge::testing
