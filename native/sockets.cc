// Socket syscalls Node lacks: one function per syscall. Addresses, socket options and control
// messages travel as raw Buffers; building and parsing them is TypeScript's job.
#include "common.h"
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <linux/filter.h>
#include <unistd.h>
#include <cstring>
#include <memory>
#include <vector>

namespace amber {

static int ArgFd(const Napi::CallbackInfo& info, size_t i) { return static_cast<int>(ArgInt(info, i)); }

// A Buffer argument, or nullptr/0 for undefined/null.
static void ArgBuf(const Napi::CallbackInfo& info, size_t i, const void** data, size_t* len) {
  *data = nullptr;
  *len = 0;
  if (i >= info.Length() || info[i].IsUndefined() || info[i].IsNull()) return;
  auto b = info[i].As<Napi::Buffer<uint8_t>>();
  *data = b.Data();
  *len = b.Length();
}

static Napi::Value Socket(const Napi::CallbackInfo& info) {
  int fd = socket(ArgFd(info, 0), ArgFd(info, 1), ArgFd(info, 2));
  if (fd < 0) return ThrowSys(info.Env(), errno, "socket");
  return Napi::Number::New(info.Env(), fd);
}

static Napi::Value Socketpair(const Napi::CallbackInfo& info) {
  int sv[2];
  if (socketpair(ArgFd(info, 0), ArgFd(info, 1), ArgFd(info, 2), sv) < 0) return ThrowSys(info.Env(), errno, "socketpair");
  auto out = Napi::Array::New(info.Env(), 2);
  out.Set(0u, Napi::Number::New(info.Env(), sv[0]));
  out.Set(1u, Napi::Number::New(info.Env(), sv[1]));
  return out;
}

static Napi::Value Bind(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info, 0);
  const void* a; size_t l;
  ArgBuf(info, 1, &a, &l);
  if (bind(fd, static_cast<const sockaddr*>(a), static_cast<socklen_t>(l)) < 0) return ThrowSys(info.Env(), errno, "bind", -1, fd);
  return info.Env().Undefined();
}

static Napi::Value Connect(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info, 0);
  const void* a; size_t l;
  ArgBuf(info, 1, &a, &l);
  int r;
  do {
    r = connect(fd, static_cast<const sockaddr*>(a), static_cast<socklen_t>(l));
  } while (r < 0 && errno == EINTR);
  if (r < 0) return ThrowSys(info.Env(), errno, "connect", -1, fd);
  return info.Env().Undefined();
}

static Napi::Value Listen(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info, 0);
  if (listen(fd, ArgFd(info, 1)) < 0) return ThrowSys(info.Env(), errno, "listen", -1, fd);
  return info.Env().Undefined();
}

static Napi::Value Accept4(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info, 0);
  int r = accept4(fd, nullptr, nullptr, ArgFd(info, 1));
  if (r < 0) return ThrowSys(info.Env(), errno, "accept4", -1, fd);
  return Napi::Number::New(info.Env(), r);
}

static Napi::Value Shutdown(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info, 0);
  if (shutdown(fd, ArgFd(info, 1)) < 0) return ThrowSys(info.Env(), errno, "shutdown", -1, fd);
  return info.Env().Undefined();
}

// getsockopt(fd, level, name, maxLen) -> Buffer of the length the kernel returned.
static Napi::Value Getsockopt(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info, 0);
  size_t max = static_cast<size_t>(ArgInt(info, 3));
  if (max == 0 || max > 1 << 20) {
    Napi::RangeError::New(info.Env(), "getsockopt: maxLen must be 1..1048576").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  std::vector<uint8_t> buf(max);
  socklen_t len = static_cast<socklen_t>(max);
  if (getsockopt(fd, ArgFd(info, 1), ArgFd(info, 2), buf.data(), &len) < 0) return ThrowSys(info.Env(), errno, "getsockopt", -1, fd);
  return Napi::Buffer<uint8_t>::Copy(info.Env(), buf.data(), len);
}

// getsockoptInts(fd, level, names[]) -> Int32Array of [value, errno] per name: one tight loop of
// getsockopt for the int options a socket dump reads (some 15 per socket), read as getInt reads
// one (a 1-byte answer as its byte).
static Napi::Value GetsockoptInts(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info, 0);
  int level = ArgFd(info, 1);
  auto names = info[2].As<Napi::Array>();
  uint32_t n = names.Length();
  if (n > 256) {
    Napi::RangeError::New(info.Env(), "getsockoptInts: at most 256 options").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  auto out = Napi::Int32Array::New(info.Env(), 2 * n);
  for (uint32_t i = 0; i < n; i++) {
    Napi::Value v = names[i];
    if (!v.IsNumber()) {
      Napi::TypeError::New(info.Env(), "getsockoptInts: option names must be numbers").ThrowAsJavaScriptException();
      return info.Env().Undefined();
    }
    uint8_t buf[4] = {0, 0, 0, 0};
    socklen_t len = sizeof(buf);
    int32_t value = 0, err = 0;
    if (getsockopt(fd, level, v.As<Napi::Number>().Int32Value(), buf, &len) < 0) err = errno;
    else if (len >= 4) memcpy(&value, buf, 4);
    else if (len >= 1) value = buf[0];
    out[2 * i] = value;
    out[2 * i + 1] = err;
  }
  return out;
}

static Napi::Value Setsockopt(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info, 0);
  const void* v; size_t l;
  ArgBuf(info, 3, &v, &l);
  if (setsockopt(fd, ArgFd(info, 1), ArgFd(info, 2), v, static_cast<socklen_t>(l)) < 0)
    return ThrowSys(info.Env(), errno, "setsockopt", -1, fd);
  return info.Env().Undefined();
}

static Napi::Value NameOf(const Napi::CallbackInfo& info, bool peer) {
  int fd = ArgFd(info, 0);
  sockaddr_storage ss;
  socklen_t len = sizeof(ss);
  int r = peer ? getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) : getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  if (r < 0) return ThrowSys(info.Env(), errno, peer ? "getpeername" : "getsockname", -1, fd);
  return Napi::Buffer<uint8_t>::Copy(info.Env(), reinterpret_cast<uint8_t*>(&ss), len < sizeof(ss) ? len : sizeof(ss));
}
static Napi::Value Getsockname(const Napi::CallbackInfo& info) { return NameOf(info, false); }
static Napi::Value Getpeername(const Napi::CallbackInfo& info) { return NameOf(info, true); }

// sendmsg(fd, data, addr|null, control|null, flags) -> bytes sent.
static Napi::Value Sendmsg(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info, 0);
  const void *d, *a, *c;
  size_t dl, al, cl;
  ArgBuf(info, 1, &d, &dl);
  ArgBuf(info, 2, &a, &al);
  ArgBuf(info, 3, &c, &cl);
  iovec iov = {const_cast<void*>(d), dl};
  msghdr mh = {};
  mh.msg_name = const_cast<void*>(a);
  mh.msg_namelen = static_cast<socklen_t>(al);
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = const_cast<void*>(c);
  mh.msg_controllen = cl;
  ssize_t n;
  do {
    n = sendmsg(fd, &mh, ArgFd(info, 4));
  } while (n < 0 && errno == EINTR);
  if (n < 0) return ThrowSys(info.Env(), errno, "sendmsg", -1, fd);
  return Napi::Number::New(info.Env(), static_cast<double>(n));
}

// recvmsg(fd, dataLen, controlLen, flags) -> { n, data, addr, control, flags }.
// `n` is what recvmsg returned (with MSG_TRUNC the full datagram length), `data` what fit.
static Napi::Value Recvmsg(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info, 0);
  size_t dlen = static_cast<size_t>(ArgInt(info, 1));
  size_t clen = static_cast<size_t>(ArgInt(info, 2));
  if (dlen > 64u << 20 || clen > 1 << 20) {
    Napi::RangeError::New(info.Env(), "recvmsg: buffer too large").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  // Not zeroed (a 256 KiB peek buffer cleared each call was most of a small peek's cost): only
  // the bytes the kernel wrote are copied out.
  std::unique_ptr<uint8_t[]> data(new uint8_t[dlen ? dlen : 1]), control(new uint8_t[clen ? clen : 1]);
  sockaddr_storage ss;
  iovec iov = {data.get(), dlen};
  msghdr mh = {};
  mh.msg_name = &ss;
  mh.msg_namelen = sizeof(ss);
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = clen ? control.get() : nullptr;
  mh.msg_controllen = clen;
  ssize_t n;
  do {
    n = recvmsg(fd, &mh, ArgFd(info, 3));
  } while (n < 0 && errno == EINTR);
  if (n < 0) return ThrowSys(info.Env(), errno, "recvmsg", -1, fd);
  Napi::Env env = info.Env();
  auto out = Napi::Object::New(env);
  size_t got = static_cast<size_t>(n) < dlen ? static_cast<size_t>(n) : dlen;
  out.Set("n", Napi::Number::New(env, static_cast<double>(n)));
  out.Set("data", Napi::Buffer<uint8_t>::Copy(env, data.get(), got));
  out.Set("addr", Napi::Buffer<uint8_t>::Copy(env, reinterpret_cast<uint8_t*>(&ss), mh.msg_namelen < sizeof(ss) ? mh.msg_namelen : sizeof(ss)));
  out.Set("control", Napi::Buffer<uint8_t>::Copy(env, control.get(), clen ? mh.msg_controllen : 0));
  out.Set("flags", Napi::Number::New(env, mh.msg_flags));
  return out;
}

// ioctl(fd, request, &int) for the socket ioctls that return one int (SIOCINQ, SIOCOUTQ, SIOCOUTQNSD).
static Napi::Value IoctlInt(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info, 0);
  int v = 0;
  if (ioctl(fd, static_cast<unsigned long>(ArgInt(info, 1)), &v) < 0) return ThrowSys(info.Env(), errno, "ioctl", -1, fd);
  return Napi::Number::New(info.Env(), v);
}

// The classic BPF program attached to a socket (SO_GET_FILTER), as 8-byte instructions. The
// option's length counts instructions, not bytes: ask for the count first, then fetch that many.
static Napi::Value GetFilter(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info, 0);
  socklen_t count = 0;
  if (getsockopt(fd, SOL_SOCKET, SO_GET_FILTER, nullptr, &count) < 0) return ThrowSys(info.Env(), errno, "getsockopt(SO_GET_FILTER)", -1, fd);
  std::vector<sock_filter> prog(count ? count : 1);
  socklen_t got = count;
  if (count && getsockopt(fd, SOL_SOCKET, SO_GET_FILTER, prog.data(), &got) < 0) return ThrowSys(info.Env(), errno, "getsockopt(SO_GET_FILTER)", -1, fd);
  return Napi::Buffer<uint8_t>::Copy(info.Env(), reinterpret_cast<uint8_t*>(prog.data()), static_cast<size_t>(count) * sizeof(sock_filter));
}

// setsockopt(level, SO_ATTACH_FILTER or PACKET_FANOUT_DATA...) with a struct sock_fprog built here,
// since it holds a pointer to the instructions.
static Napi::Value AttachFilter(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info, 0);
  const void* d; size_t l;
  ArgBuf(info, 1, &d, &l);
  if (l % sizeof(sock_filter) != 0 || l / sizeof(sock_filter) > 0xffff) {
    Napi::RangeError::New(info.Env(), "attachFilter: not a whole number of BPF instructions").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  sock_fprog prog = {static_cast<unsigned short>(l / sizeof(sock_filter)), const_cast<sock_filter*>(static_cast<const sock_filter*>(d))};
  if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0) return ThrowSys(info.Env(), errno, "setsockopt(SO_ATTACH_FILTER)", -1, fd);
  return info.Env().Undefined();
}

void InitSockets(Napi::Env env, Napi::Object exports) {
  Define(env, exports, "getFilter", "i", GetFilter);
  Define(env, exports, "attachFilter", "iB", AttachFilter);
  Define(env, exports, "socket", "iii", Socket);
  Define(env, exports, "socketpair", "iii", Socketpair);
  Define(env, exports, "bind", "iB", Bind);
  Define(env, exports, "connect", "iB", Connect);
  Define(env, exports, "listen", "ii", Listen);
  Define(env, exports, "accept4", "ii", Accept4);
  Define(env, exports, "shutdown", "ii", Shutdown);
  Define(env, exports, "getsockoptInts", "iia", GetsockoptInts);
  Define(env, exports, "getsockopt", "iiii", Getsockopt);
  Define(env, exports, "setsockopt", "iiiB", Setsockopt);
  Define(env, exports, "getsockname", "i", Getsockname);
  Define(env, exports, "getpeername", "i", Getpeername);
  Define(env, exports, "sendmsg", "iBNNi", Sendmsg);
  Define(env, exports, "recvmsg", "iiii", Recvmsg);
  Define(env, exports, "ioctlInt", "ii", IoctlInt);
}

}  // namespace amber
