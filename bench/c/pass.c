/*
 * pass-K in C: the practical limit. One socketpair(AF_UNIX, SOCK_STREAM); send K copies of the same /dev/null
 * descriptor with a 1-byte payload (sendmsg, SCM_RIGHTS), receive them (recvmsg with MSG_CMSG_CLOEXEC), close
 * the received descriptors; N times, after a warm-up. Prints the line the .NET quick mode prints; --cpu adds the
 * process's CPU time per message, which a busy machine inflates far less than the elapsed time.
 *
 *   cc -O2 -o pass pass.c && ./pass --fds 1 --iterations 100000 [--cpu]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_FDS 253

static void die(const char *what)
{
    perror(what);
    exit(1);
}

static double clock_ns(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int sv[2];
static int devnull;
static int k;

static void pass(void)
{
    /* Control buffers sized and aligned as CMSG_SPACE demands. */
    union { char buf[CMSG_SPACE(MAX_FDS * sizeof(int))]; struct cmsghdr align; } out, in;
    char byte = 42;
    struct iovec iov = { &byte, 1 };
    struct msghdr msg = { 0 };
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    if (k > 0) {
        msg.msg_control = out.buf;
        msg.msg_controllen = CMSG_SPACE(k * sizeof(int));
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(k * sizeof(int));
        int *fds = (int *)CMSG_DATA(c);
        for (int i = 0; i < k; i++)
            fds[i] = devnull;
    }
    ssize_t n;
    do n = sendmsg(sv[0], &msg, MSG_NOSIGNAL); while (n < 0 && errno == EINTR);
    if (n != 1)
        die("sendmsg");

    char rbyte;
    struct iovec riov = { &rbyte, 1 };
    struct msghdr rmsg = { 0 };
    rmsg.msg_iov = &riov;
    rmsg.msg_iovlen = 1;
    rmsg.msg_control = in.buf;
    rmsg.msg_controllen = sizeof in.buf;
    do n = recvmsg(sv[1], &rmsg, MSG_CMSG_CLOEXEC); while (n < 0 && errno == EINTR);
    if (n != 1)
        die("recvmsg");
    if (rmsg.msg_flags & MSG_CTRUNC) {
        fprintf(stderr, "control data truncated\n");
        exit(1);
    }
    int got = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&rmsg); c; c = CMSG_NXTHDR(&rmsg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            int count = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
            int *fds = (int *)CMSG_DATA(c);
            for (int i = 0; i < count; i++)
                close(fds[i]);
            got += count;
        }
    }
    if (got != k) {
        fprintf(stderr, "expected %d descriptors, got %d\n", k, got);
        exit(1);
    }
}

int main(int argc, char **argv)
{
    long iterations = 100000;
    long warmup = -1;
    int cpu = 0;
    k = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--fds") && i + 1 < argc)
            k = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--iterations") && i + 1 < argc)
            iterations = atol(argv[++i]);
        else if (!strcmp(argv[i], "--warmup") && i + 1 < argc)
            warmup = atol(argv[++i]);
        else if (!strcmp(argv[i], "--cpu"))
            cpu = 1;
        else {
            fprintf(stderr, "usage: %s --fds K --iterations N [--warmup W] [--cpu]\n", argv[0]);
            return 2;
        }
    }
    if (k < 0 || k > MAX_FDS || iterations < 1) {
        fprintf(stderr, "--fds must be 0..%d and --iterations >= 1\n", MAX_FDS);
        return 2;
    }
    if (warmup < 0)
        warmup = iterations / 10;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        die("socketpair");
    devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (devnull < 0)
        die("open /dev/null");

    for (long i = 0; i < warmup; i++)
        pass();
    double c0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
    double t0 = clock_ns(CLOCK_MONOTONIC);
    for (long i = 0; i < iterations; i++)
        pass();
    double ns = (clock_ns(CLOCK_MONOTONIC) - t0) / (double)iterations;
    double cpu_ns = (clock_ns(CLOCK_PROCESS_CPUTIME_ID) - c0) / (double)iterations;
    printf("ns_per_msg=%.1f ns_per_fd=%.1f alloc_bytes_per_msg=0", ns, k ? ns / k : 0.0);
    if (cpu)
        printf(" cpu_ns_per_msg=%.1f cpu_ns_per_fd=%.1f", cpu_ns, k ? cpu_ns / k : 0.0);
    printf("\n");
    return 0;
}
