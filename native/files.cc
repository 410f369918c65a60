// File-object syscalls Node lacks: pipe2, tee, fcntl, lseek, eventfd, epoll_create1.
#include "common.h"
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
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

void InitFiles(Napi::Env env, Napi::Object exports) {
  exports.Set("lseek", Napi::Function::New(env, Lseek));
  exports.Set("fcntlOwnerEx", Napi::Function::New(env, FcntlOwnerEx));
  exports.Set("pipe2", Napi::Function::New(env, Pipe2));
  exports.Set("tee", Napi::Function::New(env, Tee));
  exports.Set("fcntl", Napi::Function::New(env, Fcntl));
  exports.Set("eventfd", Napi::Function::New(env, Eventfd));
  exports.Set("epollCreate", Napi::Function::New(env, EpollCreate));
}

}  // namespace amber
