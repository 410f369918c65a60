// Page copies between a task and an image file, from several threads:
// - copyTaskToFile: task memory -> a per-thread buffer (process_vm_readv, or pread of
//   /proc/PID/mem for pages that must not be pinned) -> pwrite into the pages file;
// - copyFileToTask: a read-only mapping of the pages file -> task memory (process_vm_writev).
// Each is one tight loop over those syscalls; which pages, which way and how many threads is
// decided in TypeScript (src/mem/page-copy.ts).
#include "common.h"
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <algorithm>
#include <thread>
#include <vector>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

namespace amber {

static const uint64_t kPage = 4096;

struct Piece {
  uint64_t addr;     // in the task
  uint64_t len;
  uint64_t fileOff;  // in the image file
  bool viaMem;       // read through /proc/PID/mem instead of process_vm_readv
};

struct Failure {
  int err = 0;
  std::string what;
};

// The flat BigUint64Array argument as pieces; `stride` values per piece.
static bool ReadPieces(const Napi::CallbackInfo& info, size_t i, size_t stride, std::vector<Piece>* out) {
  if (i >= info.Length() || !info[i].IsTypedArray() || info[i].As<Napi::TypedArray>().TypedArrayType() != napi_biguint64_array) {
    Napi::TypeError::New(info.Env(), "ranges must be a BigUint64Array").ThrowAsJavaScriptException();
    return false;
  }
  auto a = info[i].As<Napi::TypedArrayOf<uint64_t>>();
  if (a.ElementLength() % stride != 0) {
    Napi::RangeError::New(info.Env(), "ranges: length is not a multiple of the record size").ThrowAsJavaScriptException();
    return false;
  }
  for (size_t k = 0; k < a.ElementLength(); k += stride) {
    Piece p{a[k], a[k + 1], a[k + 2], stride > 3 && a[k + 3] != 0};
    if (p.len == 0 || p.len > (1ull << 46) || p.addr + p.len < p.addr) {
      Napi::RangeError::New(info.Env(), "ranges: a record with an empty or impossible length").ThrowAsJavaScriptException();
      return false;
    }
    out->push_back(p);
  }
  return true;
}

static int ArgThreads(const Napi::CallbackInfo& info, size_t i) {
  int64_t n = ArgInt(info, i);
  return static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(n, 16)));
}

// Splits pieces into `parts` runs of about equal bytes, cutting pieces at page boundaries.
static std::vector<std::vector<Piece>> Split(const std::vector<Piece>& pieces, int parts) {
  uint64_t total = 0;
  for (auto& p : pieces) total += p.len;
  uint64_t share = (total / parts + kPage - 1) / kPage * kPage;
  std::vector<std::vector<Piece>> out(1);
  uint64_t inPart = 0;
  for (Piece p : pieces) {
    while (p.len > 0) {
      uint64_t n = p.len;
      if (static_cast<int>(out.size()) < parts) {
        if (inPart >= share) {
          out.emplace_back();
          inPart = 0;
          continue;
        }
        n = std::min(p.len, share - inPart);
      }
      out.back().push_back({p.addr, n, p.fileOff, p.viaMem});
      inPart += n;
      p.addr += n;
      p.fileOff += n;
      p.len -= n;
    }
  }
  return out;
}

static std::string Hex(uint64_t v) {
  char b[32];
  snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
  return b;
}

static void RunParts(const std::vector<std::vector<Piece>>& parts, Failure* fail, void (*fn)(const std::vector<Piece>&, Failure*, void*), void* ctx) {
  std::vector<Failure> fails(parts.size());
  std::vector<std::thread> threads;
  for (size_t k = 1; k < parts.size(); k++) threads.emplace_back(fn, std::cref(parts[k]), &fails[k], ctx);
  fn(parts[0], &fails[0], ctx);
  for (auto& t : threads) t.join();
  for (auto& f : fails) {
    if (f.err != 0) {
      *fail = f;
      return;
    }
  }
}

struct ToFileCtx {
  pid_t pid;
  int memFd;
  int fd;
};

// Bytes go task -> a small buffer -> pwrite: measured faster here than copying into a shared
// mapping of the file (page faults on a shared tmpfs/ext4 mapping cost more than the second
// copy through a buffer that stays in the cache).
static const size_t kBuffer = 1 << 20;
static const size_t kMaxIov = 1024;

static bool WriteAll(int fd, const uint8_t* buf, size_t len, uint64_t off, Failure* fail) {
  size_t done = 0;
  while (done < len) {
    ssize_t n = pwrite(fd, buf + done, len - done, static_cast<off_t>(off + done));
    if (n <= 0) {
      *fail = {n < 0 ? errno : EIO, "pwrite of the pages file at offset " + std::to_string(off + done)};
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return true;
}

static void CopyOutPart(const std::vector<Piece>& part, Failure* fail, void* raw) {
  auto* c = static_cast<ToFileCtx*>(raw);
  std::vector<uint8_t> buffer(kBuffer);
  uint8_t* buf = buffer.data();
  // Small pieces that follow each other in the file are read with one process_vm_readv.
  std::vector<struct iovec> remote;
  size_t used = 0;
  uint64_t batchOff = 0;
  auto flush = [&]() -> bool {
    if (used == 0) return true;
    struct iovec local = {buf, used};
    ssize_t n = process_vm_readv(c->pid, &local, 1, remote.data(), remote.size(), 0);
    if (n != static_cast<ssize_t>(used)) {
      // Name the first address not read.
      uint64_t at = reinterpret_cast<uint64_t>(remote[0].iov_base);
      size_t left = n > 0 ? static_cast<size_t>(n) : 0;
      for (auto& r : remote) {
        if (left < r.iov_len) { at = reinterpret_cast<uint64_t>(r.iov_base) + left; break; }
        left -= r.iov_len;
      }
      *fail = {n < 0 ? errno : EFAULT, "process_vm_readv at " + Hex(at)};
      return false;
    }
    bool ok = WriteAll(c->fd, buf, used, batchOff, fail);
    remote.clear();
    used = 0;
    return ok;
  };
  for (auto& p : part) {
    uint64_t done = 0;
    while (done < p.len) {
      if (p.viaMem) {
        if (!flush()) return;
        size_t want = static_cast<size_t>(std::min<uint64_t>(kBuffer, p.len - done));
        ssize_t n = pread(c->memFd, buf, want, static_cast<off_t>(p.addr + done));
        if (n <= 0) {
          *fail = {n < 0 ? errno : EIO, "pread of /proc/PID/mem at " + Hex(p.addr + done)};
          return;
        }
        if (!WriteAll(c->fd, buf, static_cast<size_t>(n), p.fileOff + done, fail)) return;
        done += static_cast<uint64_t>(n);
        continue;
      }
      if (used > 0 && (batchOff + used != p.fileOff + done || remote.size() == kMaxIov || used == kBuffer)) {
        if (!flush()) return;
      }
      if (used == 0) batchOff = p.fileOff + done;
      size_t take = static_cast<size_t>(std::min<uint64_t>(kBuffer - used, p.len - done));
      remote.push_back({reinterpret_cast<void*>(p.addr + done), take});
      used += take;
      done += take;
    }
  }
  flush();
}

// copyTaskToFile(pid, memFd, fd, ranges: BigUint64Array of [addr, len, fileOffset, viaMem]...,
// threads) -> bytes copied. memFd is /proc/PID/mem opened for reading (-1 when no range is
// viaMem). File offsets must be page-aligned.
static Napi::Value CopyTaskToFile(const Napi::CallbackInfo& info) {
  ARG_PID(pid, 0);
  int memFd = static_cast<int>(ArgInt(info, 1));
  int fd = static_cast<int>(ArgInt(info, 2));
  std::vector<Piece> pieces;
  if (!ReadPieces(info, 3, 4, &pieces)) return info.Env().Undefined();
  int threads = ArgThreads(info, 4);
  uint64_t total = 0;
  for (auto& p : pieces) {
    if (p.fileOff % kPage != 0) {
      Napi::RangeError::New(info.Env(), "copyTaskToFile: file offsets must be page-aligned").ThrowAsJavaScriptException();
      return info.Env().Undefined();
    }
    if (p.viaMem && memFd < 0) {
      Napi::RangeError::New(info.Env(), "copyTaskToFile: a /proc/PID/mem range without memFd").ThrowAsJavaScriptException();
      return info.Env().Undefined();
    }
    total += p.len;
  }
  if (pieces.empty()) return Napi::Number::New(info.Env(), 0);
  ToFileCtx ctx{pid, memFd, fd};
  Failure fail;
  RunParts(Split(pieces, threads), &fail, CopyOutPart, &ctx);
  if (fail.err != 0) return ThrowSys(info.Env(), fail.err, fail.what.c_str(), pid, fd);
  return Napi::Number::New(info.Env(), static_cast<double>(total));
}

struct ToTaskCtx {
  pid_t pid;
  const uint8_t* base;  // the whole pages file, mapped read-only
};

static void CopyInPart(const std::vector<Piece>& part, Failure* fail, void* raw) {
  auto* c = static_cast<ToTaskCtx*>(raw);
  for (auto& p : part) {
    uint64_t done = 0;
    while (done < p.len) {
      struct iovec local = {const_cast<uint8_t*>(c->base + p.fileOff + done), p.len - done};
      struct iovec remote = {reinterpret_cast<void*>(p.addr + done), p.len - done};
      ssize_t n = process_vm_writev(c->pid, &local, 1, &remote, 1, 0);
      if (n <= 0) {
        *fail = {n < 0 ? errno : EIO, "process_vm_writev at " + Hex(p.addr + done)};
        return;
      }
      done += static_cast<uint64_t>(n);
    }
  }
}

// copyFileToTask(pid, fd, ranges: BigUint64Array of [addr, len, fileOffset]..., threads) ->
// bytes copied. Every range must lie inside the file (checked against its size: a short
// pages image is an error, not a SIGBUS).
static Napi::Value CopyFileToTask(const Napi::CallbackInfo& info) {
  ARG_PID(pid, 0);
  int fd = static_cast<int>(ArgInt(info, 1));
  std::vector<Piece> pieces;
  if (!ReadPieces(info, 2, 3, &pieces)) return info.Env().Undefined();
  int threads = ArgThreads(info, 3);
  if (pieces.empty()) return Napi::Number::New(info.Env(), 0);
  struct stat st;
  if (fstat(fd, &st) < 0) return ThrowSys(info.Env(), errno, "fstat of the pages file", pid, fd);
  uint64_t size = static_cast<uint64_t>(st.st_size), total = 0;
  for (auto& p : pieces) {
    if (p.fileOff > size || p.len > size - p.fileOff) {
      Napi::RangeError::New(info.Env(), "copyFileToTask: pages at offset " + std::to_string(p.fileOff) + " past the end of the pages file (" + std::to_string(size) + " bytes)").ThrowAsJavaScriptException();
      return info.Env().Undefined();
    }
    total += p.len;
  }
  void* m = mmap(nullptr, static_cast<size_t>(size), PROT_READ, MAP_SHARED, fd, 0);
  if (m == MAP_FAILED) return ThrowSys(info.Env(), errno, "mmap of the pages file", pid, fd);
  ToTaskCtx ctx{pid, static_cast<const uint8_t*>(m)};
  Failure fail;
  RunParts(Split(pieces, threads), &fail, CopyInPart, &ctx);
  munmap(m, static_cast<size_t>(size));
  if (fail.err != 0) return ThrowSys(info.Env(), fail.err, fail.what.c_str(), pid, fd);
  return Napi::Number::New(info.Env(), static_cast<double>(total));
}

void InitPageCopy(Napi::Env env, Napi::Object exports) {
  Define(env, exports, "copyTaskToFile", "piiTi", CopyTaskToFile);
  Define(env, exports, "copyFileToTask", "piTi", CopyFileToTask);
}

}  // namespace amber
