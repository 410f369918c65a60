// Terminal ioctls. Their request numbers do not encode the argument's size, so each request
// amber uses is listed here with the size of what it reads or writes; anything else is refused.
#include "common.h"
#include <asm/termbits.h>
#include <sys/ioctl.h>

namespace amber {

struct TtyRequest {
  unsigned long request;
  size_t size;  // bytes the argument points to; 0: the argument is an int passed by value
  bool out;     // the kernel writes the argument (a get)
};

static const TtyRequest kTtyRequests[] = {
    {TCGETS2, sizeof(struct termios2), true},
    {TCSETS2, sizeof(struct termios2), false},
    {TIOCGLCKTRMIOS, sizeof(struct termios), true},
    {TIOCSLCKTRMIOS, sizeof(struct termios), false},
    {TIOCGWINSZ, sizeof(struct winsize), true},
    {TIOCSWINSZ, sizeof(struct winsize), false},
    {TIOCSTI, 1, false},
    {TIOCSPTLCK, sizeof(int), false},
    {TIOCPKT, sizeof(int), false},
    {TIOCSPGRP, sizeof(int), false},
    {TIOCEXCL, 0, false},
    {TIOCNXCL, 0, false},
};

static const TtyRequest* FindRequest(unsigned long request) {
  for (const auto& r : kTtyRequests)
    if (r.request == request) return &r;
  return nullptr;
}

static Napi::Value ThrowArg(const Napi::CallbackInfo& info, const char* msg) {
  Napi::RangeError::New(info.Env(), msg).ThrowAsJavaScriptException();
  return info.Env().Undefined();
}

// ttyGet(fd, request) -> Buffer: a get request of the table above.
static Napi::Value TtyGet(const Napi::CallbackInfo& info) {
  int fd = static_cast<int>(ArgInt(info, 0));
  const TtyRequest* r = FindRequest(static_cast<unsigned long>(ArgInt(info, 1)));
  if (r == nullptr || !r->out) return ThrowArg(info, "ttyGet: not a terminal get request amber knows");
  auto out = Napi::Buffer<uint8_t>::New(info.Env(), r->size);
  if (ioctl(fd, r->request, out.Data()) < 0) return ThrowSys(info.Env(), errno, "ioctl", -1, fd);
  return out;
}

// ttySet(fd, request, data?: Buffer): a set request of the table; data must have its exact size
// (none for requests without an argument).
static Napi::Value TtySet(const Napi::CallbackInfo& info) {
  int fd = static_cast<int>(ArgInt(info, 0));
  const TtyRequest* r = FindRequest(static_cast<unsigned long>(ArgInt(info, 1)));
  if (r == nullptr || r->out) return ThrowArg(info, "ttySet: not a terminal set request amber knows");
  long rc;
  if (r->size == 0) {
    rc = ioctl(fd, r->request, 0);
  } else {
    if (info.Length() < 3 || !info[2].IsBuffer()) return ThrowArg(info, "ttySet: the argument must be a Buffer");
    auto b = info[2].As<Napi::Buffer<uint8_t>>();
    if (b.Length() != r->size) return ThrowArg(info, "ttySet: the Buffer has the wrong size for this request");
    rc = ioctl(fd, r->request, b.Data());
  }
  if (rc < 0) return ThrowSys(info.Env(), errno, "ioctl", -1, fd);
  return info.Env().Undefined();
}

// ttyOpenPeer(masterFd, flags) -> fd: the slave of a pty master (TIOCGPTPEER), without a path lookup.
static Napi::Value TtyOpenPeer(const Napi::CallbackInfo& info) {
  int fd = static_cast<int>(ArgInt(info, 0));
  int r = ioctl(fd, TIOCGPTPEER, static_cast<int>(ArgInt(info, 1)));
  if (r < 0) return ThrowSys(info.Env(), errno, "ioctl(TIOCGPTPEER)", -1, fd);
  return Napi::Number::New(info.Env(), r);
}

void InitTty(Napi::Env env, Napi::Object exports) {
  Define(env, exports, "ttyGet", "ii", TtyGet);
  Define(env, exports, "ttySet", "iiB?", TtySet);
  Define(env, exports, "ttyOpenPeer", "ii", TtyOpenPeer);
}

}  // namespace amber
