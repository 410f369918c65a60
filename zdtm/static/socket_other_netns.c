/*
 * socket_other_netns: a UDP socket made in another network namespace (a child unshared one,
 * made its socket there and passed it over with SCM_RIGHTS). amber does not carry network
 * namespaces yet: the dump must fail naming the socket and leave the test running (crfail).
 *
 * State: the socket, bound to 127.0.0.1:20399 inside that namespace (binding needs no interface
 * up), and its SO_NETNS_COOKIE, which differs from a socket made in the test's own namespace.
 * Check after SIGTERM: the socket is still there with the same cookie and address.
 */
#include "inet_util.h"
#include <sched.h>

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

/* The socket's network namespace: its cookie (5.14+), else the inode of the nsfs file SIOCGSKNS gives. */
static uint64_t cookie(int fd)
{
	uint64_t c = 0;
	socklen_t len = sizeof(c);
	if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &c, &len) == 0)
		return c;
	if (errno != ENOPROTOOPT)
		zdtm_fail("SO_NETNS_COOKIE: %m");
	int ns = ioctl(fd, SIOCGSKNS, 0);
	struct stat st;
	if (ns < 0 || fstat(ns, &st))
		zdtm_fail("SIOCGSKNS: %m");
	close(ns);
	return st.st_ino;
}

int main(int argc, char **argv)
{
	int sv[2], s = -1, own, st;
	uint64_t c_other, c_own;
	struct sockaddr_in a = it_lo4(20399);
	char cbuf[CMSG_SPACE(sizeof(int))], byte = 0;
	struct iovec iov = { &byte, 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	pid_t child;

	zdtm_init(argc, argv);
	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv))
		zdtm_fail("socketpair: %m");
	child = fork();
	if (child == 0) {
		struct cmsghdr *c;
		int u;
		if (unshare(CLONE_NEWNET))
			_exit(10);
		u = socket(AF_INET, SOCK_DGRAM, 0);
		if (u < 0 || bind(u, (void *)&a, sizeof(a)))
			_exit(11);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &u, sizeof(int));
		_exit(sendmsg(sv[1], &mh, 0) == 1 ? 0 : 12);
	}
	if (waitpid(child, &st, 0) != child || !WIFEXITED(st) || WEXITSTATUS(st))
		zdtm_fail("child: status %x", st);
	if (recvmsg(sv[0], &mh, 0) != 1 || !CMSG_FIRSTHDR(&mh))
		zdtm_fail("recvmsg: %m");
	memcpy(&s, CMSG_DATA(CMSG_FIRSTHDR(&mh)), sizeof(int));
	close(sv[0]);
	close(sv[1]);
	own = socket(AF_INET, SOCK_DGRAM, 0);
	c_other = cookie(s);
	c_own = cookie(own);
	close(own);
	if (c_other == c_own)
		zdtm_fail("the socket is in this namespace");

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(cookie(s) == c_other, "the socket's namespace changed");
	it_check_names("the socket", s, &a, NULL);
	zdtm_finish();
}
