// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
// Private fd copies and fd kinds. The addon checks what an fd is (a map, a BTF object)
// before trusting layout facts about it, and keeps its own dup so the fd it checked is the
// fd the kernel sees.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>

#include "checks.h"

namespace structops {

bool DupPrivate(uint32_t fd, int* out, Failure* f) {
  if (fd > static_cast<uint32_t>(INT_MAX)) return Refuse(f, EBADF, "fd " + std::to_string(fd) + " is not valid");
  int dup = fcntl(static_cast<int>(fd), F_DUPFD_CLOEXEC, 0);
  if (dup < 0) {
    int err = errno;
    return Refuse(f, err, "fd " + std::to_string(fd) + ": " + std::strerror(err));
  }
  *out = dup;
  return true;
}

bool FdKind(int fd, std::string* kind) {
  char path[64];
  char target[128];
  std::snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(path, target, sizeof target - 1);
  if (n < 0) return false;
  kind->assign(target, static_cast<size_t>(n));
  return true;
}

}  // namespace structops
