// File-object syscalls Node lacks: pipe2, tee, fcntl, lseek, eventfd, epoll_create1, signalfd4,
// timerfd_create/settime/gettime, clock_gettime, an ioctl that writes a u64, and the reading of a
// task's fd table from /proc.
#include "common.h"
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

namespace amber {

static Napi::Value Pipe2(const Napi::CallbackInfo& info) {
  int fds[2];
  if (pipe2(fds, static_cast<int>(ArgInt(info, 0))) < 0) return ThrowSys(info.Env(), errno, "pipe2");
  auto out = Napi::Array::New(info.Env(), 2);
  out.Set(0u, Napi::Number::New(info.Env(), fds[0]));
  out.Set(1u, Napi::Number::New(info.Env(), fds[1]));
  return out;
}

// tee(fd_in, fd_out, len, flags): duplicates pipe data without consuming it.
static Napi::Value Tee(const Napi::CallbackInfo& info) {
  int in = static_cast<int>(ArgInt(info, 0));
  ssize_t n = tee(in, static_cast<int>(ArgInt(info, 1)), static_cast<size_t>(ArgInt(info, 2)),
                  static_cast<unsigned>(ArgInt(info, 3)));
  if (n < 0) return ThrowSys(info.Env(), errno, "tee", -1, in);
  return Napi::Number::New(info.Env(), static_cast<double>(n));
}

static Napi::Value Fcntl(const Napi::CallbackInfo& info) {
  int fd = static_cast<int>(ArgInt(info, 0));
  int r = fcntl(fd, static_cast<int>(ArgInt(info, 1)), static_cast<long>(ArgInt(info, 2)));
  if (r < 0) return ThrowSys(info.Env(), errno, "fcntl", -1, fd);
  return Napi::Number::New(info.Env(), r);
}

static Napi::Value Eventfd(const Napi::CallbackInfo& info) {
  int fd = eventfd(static_cast<unsigned>(ArgInt(info, 0)), static_cast<int>(ArgInt(info, 1)));
  if (fd < 0) return ThrowSys(info.Env(), errno, "eventfd");
  return Napi::Number::New(info.Env(), fd);
}

static Napi::Value EpollCreate(const Napi::CallbackInfo& info) {
  int fd = epoll_create1(static_cast<int>(ArgInt(info, 0)));
  if (fd < 0) return ThrowSys(info.Env(), errno, "epoll_create1");
  return Napi::Number::New(info.Env(), fd);
}

// fcntl(fd, F_GETOWN_EX or F_SETOWN_EX, &struct f_owner_ex) with the struct in an 8-byte Buffer.
static Napi::Value FcntlOwnerEx(const Napi::CallbackInfo& info) {
  int fd = static_cast<int>(ArgInt(info, 0));
  int cmd = static_cast<int>(ArgInt(info, 1));
  if (cmd != F_GETOWN_EX && cmd != F_SETOWN_EX) {
    Napi::RangeError::New(info.Env(), "fcntlOwnerEx: F_GETOWN_EX or F_SETOWN_EX only").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  auto b = info[2].As<Napi::Buffer<uint8_t>>();
  if (b.Length() < sizeof(struct f_owner_ex)) {
    Napi::RangeError::New(info.Env(), "fcntlOwnerEx: buffer smaller than struct f_owner_ex").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  if (fcntl(fd, cmd, reinterpret_cast<struct f_owner_ex*>(b.Data())) < 0) return ThrowSys(info.Env(), errno, "fcntl(F_GETOWN_EX/F_SETOWN_EX)", -1, fd);
  return info.Env().Undefined();
}

// lseek(fd, offset, whence) -> the new offset (BigInt).
static Napi::Value Lseek(const Napi::CallbackInfo& info) {
  int fd = static_cast<int>(ArgInt(info, 0));
  off_t r = lseek(fd, static_cast<off_t>(ArgInt(info, 1)), static_cast<int>(ArgInt(info, 2)));
  if (r < 0) return ThrowSys(info.Env(), errno, "lseek", -1, fd);
  return Napi::BigInt::New(info.Env(), static_cast<int64_t>(r));
}

static Napi::Value ThrowRange(const Napi::CallbackInfo& info, const char* msg) {
  Napi::RangeError::New(info.Env(), msg).ThrowAsJavaScriptException();
  return info.Env().Undefined();
}

// A BigInt argument that fits in a u64; false when the argument is not one.
static bool ArgBigU64(const Napi::CallbackInfo& info, size_t i, uint64_t* out) {
  if (i >= info.Length() || !info[i].IsBigInt()) return false;
  bool lossless = false;
  *out = info[i].As<Napi::BigInt>().Uint64Value(&lossless);
  return lossless;
}

// signalfd(mask: bigint, flags) -> a new signalfd for the signals of the 64-bit mask (raw
// signalfd4 with the kernel's 8-byte sigset). flags: SFD_NONBLOCK | SFD_CLOEXEC only.
static Napi::Value Signalfd(const Napi::CallbackInfo& info) {
  uint64_t mask;
  if (!ArgBigU64(info, 0, &mask)) return ThrowRange(info, "signalfd: the mask must be a BigInt of 64 bits");
  int64_t flags = ArgInt(info, 1);
  if (flags & ~static_cast<int64_t>(SFD_NONBLOCK | SFD_CLOEXEC)) return ThrowRange(info, "signalfd: flags other than SFD_NONBLOCK|SFD_CLOEXEC");
  long fd = syscall(SYS_signalfd4, -1, &mask, sizeof(mask), static_cast<int>(flags));
  if (fd < 0) return ThrowSys(info.Env(), errno, "signalfd4");
  return Napi::Number::New(info.Env(), static_cast<double>(fd));
}

static Napi::Value TimerfdCreate(const Napi::CallbackInfo& info) {
  int64_t flags = ArgInt(info, 1);
  if (flags & ~static_cast<int64_t>(TFD_NONBLOCK | TFD_CLOEXEC)) return ThrowRange(info, "timerfdCreate: flags other than TFD_NONBLOCK|TFD_CLOEXEC");
  int fd = timerfd_create(static_cast<int>(ArgInt(info, 0)), static_cast<int>(flags));
  if (fd < 0) return ThrowSys(info.Env(), errno, "timerfd_create");
  return Napi::Number::New(info.Env(), fd);
}

static const uint64_t kNsPerSec = 1000000000ull;
static const uint64_t kMaxNs = static_cast<uint64_t>(INT64_MAX);

// timerfdSettime(fd, flags, valueNs: bigint, intervalNs: bigint): the value (relative, or an
// absolute time of the clock with TFD_TIMER_ABSTIME; 0 disarms) and the interval, in ns.
static Napi::Value TimerfdSettime(const Napi::CallbackInfo& info) {
  int fd = static_cast<int>(ArgInt(info, 0));
  int64_t flags = ArgInt(info, 1);
  if (flags & ~static_cast<int64_t>(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET)) return ThrowRange(info, "timerfdSettime: flags other than TFD_TIMER_ABSTIME|TFD_TIMER_CANCEL_ON_SET");
  uint64_t value, interval;
  if (!ArgBigU64(info, 2, &value) || !ArgBigU64(info, 3, &interval) || value > kMaxNs || interval > kMaxNs) {
    return ThrowRange(info, "timerfdSettime: value and interval must be BigInts in [0, 2^63) ns");
  }
  struct itimerspec its = {};
  its.it_value.tv_sec = static_cast<time_t>(value / kNsPerSec);
  its.it_value.tv_nsec = static_cast<long>(value % kNsPerSec);
  its.it_interval.tv_sec = static_cast<time_t>(interval / kNsPerSec);
  its.it_interval.tv_nsec = static_cast<long>(interval % kNsPerSec);
  if (timerfd_settime(fd, static_cast<int>(flags), &its, nullptr) < 0) return ThrowSys(info.Env(), errno, "timerfd_settime", -1, fd);
  return info.Env().Undefined();
}

// timerfdGettime(fd) -> [valueNs, intervalNs] (BigInts): the time left and the interval.
static Napi::Value TimerfdGettime(const Napi::CallbackInfo& info) {
  int fd = static_cast<int>(ArgInt(info, 0));
  struct itimerspec its;
  if (timerfd_gettime(fd, &its) < 0) return ThrowSys(info.Env(), errno, "timerfd_gettime", -1, fd);
  auto out = Napi::Array::New(info.Env(), 2);
  out.Set(0u, Napi::BigInt::New(info.Env(), static_cast<uint64_t>(its.it_value.tv_sec) * kNsPerSec + static_cast<uint64_t>(its.it_value.tv_nsec)));
  out.Set(1u, Napi::BigInt::New(info.Env(), static_cast<uint64_t>(its.it_interval.tv_sec) * kNsPerSec + static_cast<uint64_t>(its.it_interval.tv_nsec)));
  return out;
}

// clockGettime(clockid) -> the clock's time in ns (BigInt).
static Napi::Value ClockGettime(const Napi::CallbackInfo& info) {
  struct timespec ts;
  if (clock_gettime(static_cast<clockid_t>(ArgInt(info, 0)), &ts) < 0) return ThrowSys(info.Env(), errno, "clock_gettime");
  return Napi::BigInt::New(info.Env(), static_cast<int64_t>(ts.tv_sec) * static_cast<int64_t>(kNsPerSec) + ts.tv_nsec);
}

// ioctlSetU64(fd, request, value: bigint): an ioctl whose argument points to a u64 it reads
// (e.g. TFD_IOC_SET_TICKS). The request must encode _IOC_WRITE and a size of 8.
static Napi::Value IoctlSetU64(const Napi::CallbackInfo& info) {
  int fd = static_cast<int>(ArgInt(info, 0));
  unsigned long request = static_cast<unsigned long>(ArgInt(info, 1));
  if (_IOC_DIR(request) != _IOC_WRITE || _IOC_SIZE(request) != sizeof(uint64_t)) return ThrowRange(info, "ioctlSetU64: the request must be _IOW(type, nr, u64)");
  uint64_t value;
  if (!ArgBigU64(info, 2, &value)) return ThrowRange(info, "ioctlSetU64: the value must be a BigInt of 64 bits");
  if (ioctl(fd, request, &value) < 0) return ThrowSys(info.Env(), errno, "ioctl", -1, fd);
  return info.Env().Undefined();
}

// procFdTable(pid, fds[]) -> { links: string[], fdinfo: string[], stats: Float64Array, errors:
// Int32Array }: for each fd, readlinkat and statx of /proc/PID/fd/FD and the text of
// /proc/PID/fdinfo/FD, one tight loop for a whole table (through Node's fs, 5-7 syscalls and
// three calls per fd: a third of a 10,000-fd dump). stats holds, per fd, dev ino mode nlink uid
// gid rdev size, dev and rdev encoded as glibc's makedev (as Node's fs.Stats has them); errors
// the errno of the first step that failed for that fd (0: read whole) and which step (1 link,
// 2 fdinfo, 3 stat) in the next slot.
static Napi::Value ProcFdTable(const Napi::CallbackInfo& info) {
  ARG_PID(pid, 0);
  auto fds = info[1].As<Napi::Array>();
  uint32_t n = fds.Length();
  if (n > (1u << 24)) {
    Napi::RangeError::New(info.Env(), "procFdTable: too many fds").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  std::string base = "/proc/" + std::to_string(pid);
  int fdDir = open((base + "/fd").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fdDir < 0) return ThrowSys(info.Env(), errno, "open(/proc/PID/fd)", pid);
  int infoDir = open((base + "/fdinfo").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (infoDir < 0) {
    int err = errno;
    close(fdDir);
    return ThrowSys(info.Env(), err, "open(/proc/PID/fdinfo)", pid);
  }
  Napi::Env env = info.Env();
  auto links = Napi::Array::New(env, n), texts = Napi::Array::New(env, n);
  auto stats = Napi::Float64Array::New(env, 8 * static_cast<size_t>(n));
  auto errors = Napi::Int32Array::New(env, 2 * static_cast<size_t>(n));
  std::string text;
  char link[4097];
  for (uint32_t i = 0; i < n; i++) {
    Napi::Value v = fds[i];
    if (!v.IsNumber() || v.As<Napi::Number>().DoubleValue() < 0 || v.As<Napi::Number>().DoubleValue() > 0x7fffffff) {
      close(fdDir);
      close(infoDir);
      Napi::TypeError::New(env, "procFdTable: fds must be numbers 0..2^31-1").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    std::string name = std::to_string(v.As<Napi::Number>().Int32Value());
    int err = 0, step = 0;
    ssize_t ll = readlinkat(fdDir, name.c_str(), link, sizeof(link) - 1);
    if (ll < 0) err = errno, step = 1, ll = 0;
    else if (static_cast<size_t>(ll) == sizeof(link) - 1) err = ENAMETOOLONG, step = 1;  // maybe cut short
    links[i] = Napi::String::New(env, link, static_cast<size_t>(ll));
    text.clear();
    if (!err) {
      int f = openat(infoDir, name.c_str(), O_RDONLY | O_CLOEXEC);
      if (f < 0) err = errno, step = 2;
      while (f >= 0) {
        size_t at = text.size();
        text.resize(at + 4096);
        ssize_t r = read(f, &text[at], 4096);
        if (r < 0 && errno == EINTR) r = 0, text.resize(at);
        else if (r <= 0) {
          if (r < 0) err = errno, step = 2;
          text.resize(at);
          close(f);
          break;
        } else text.resize(at + static_cast<size_t>(r));
      }
    }
    texts[i] = Napi::String::New(env, text);
    struct statx sx;
    if (!err && statx(fdDir, name.c_str(), AT_STATX_SYNC_AS_STAT, STATX_BASIC_STATS, &sx) < 0) err = errno, step = 3;
    if (!err) {
      double* s = stats.Data() + 8 * static_cast<size_t>(i);
      s[0] = static_cast<double>(makedev(sx.stx_dev_major, sx.stx_dev_minor));
      s[1] = static_cast<double>(sx.stx_ino);
      s[2] = sx.stx_mode;
      s[3] = sx.stx_nlink;
      s[4] = sx.stx_uid;
      s[5] = sx.stx_gid;
      s[6] = static_cast<double>(makedev(sx.stx_rdev_major, sx.stx_rdev_minor));
      s[7] = static_cast<double>(sx.stx_size);
    }
    errors[2 * i] = err;
    errors[2 * i + 1] = step;
  }
  close(fdDir);
  close(infoDir);
  auto out = Napi::Object::New(env);
  out.Set("links", links);
  out.Set("fdinfo", texts);
  out.Set("stats", stats);
  out.Set("errors", errors);
  return out;
}

void InitFiles(Napi::Env env, Napi::Object exports) {
  Define(env, exports, "procFdTable", "pa", ProcFdTable);
  Define(env, exports, "lseek", "iui", Lseek);
  Define(env, exports, "fcntlOwnerEx", "iiB", FcntlOwnerEx);
  Define(env, exports, "pipe2", "i", Pipe2);
  Define(env, exports, "tee", "iiii", Tee);
  Define(env, exports, "fcntl", "iii", Fcntl);
  Define(env, exports, "eventfd", "ii", Eventfd);
  Define(env, exports, "epollCreate", "i", EpollCreate);
  Define(env, exports, "signalfd", "ui", Signalfd);
  Define(env, exports, "timerfdCreate", "ii", TimerfdCreate);
  Define(env, exports, "timerfdSettime", "iiuu", TimerfdSettime);
  Define(env, exports, "timerfdGettime", "i", TimerfdGettime);
  Define(env, exports, "clockGettime", "i", ClockGettime);
  Define(env, exports, "ioctlSetU64", "iiu", IoctlSetU64);
}

}  // namespace amber
