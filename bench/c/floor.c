/*
 * The .NET floor of pass-K: what any .NET program pays to make pass.c's three calls through P/Invoke, with no
 * library around them. compare.sh builds this as a shared library; `quick --api floor` loads it, has it build the
 * two msghdr of pass.c once (so the layout comes from the system headers, not from C#), and then calls sendmsg,
 * recvmsg and close for each message itself, through the function pointers given here, with errno captured as the
 * generated stubs capture it. The gap between this row and C is the runtime's; the gap above it is FdPasser's.
 *
 *   cc -O2 -shared -fPIC -o libfloor.so floor.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_FDS 253

struct floor {
    struct msghdr send, recv;
    struct iovec send_iov, recv_iov;
    char send_byte, recv_byte;
    union { char buf[CMSG_SPACE(MAX_FDS * sizeof(int))]; struct cmsghdr align; } out, in;
};

/* Everything .NET needs to make pass.c's calls: the function pointers, the flags pass.c passes, the two messages,
 * and where the received count and numbers are. */
struct floor_calls {
    void *sendmsg, *recvmsg, *close;
    int send_flags, recv_flags;
    struct msghdr *send, *recv;
    size_t *recv_controllen;      /* reset to recv_control_space before each recvmsg, as pass.c does */
    size_t recv_control_space;
    size_t *recv_cmsg_len;        /* (value - cmsg_len_empty) / sizeof(int) descriptors arrived */
    size_t cmsg_len_empty;
    int *received;                /* the received numbers, at CMSG_DATA of the first control message */
    int *recv_msg_flags;          /* MSG_CTRUNC set there means the control data was cut */
    int ctrunc, eintr;
};

/* Returns 0, or -1 where K is out of range or memory is short. */
int floor_create(int k, int devnull, struct floor_calls *calls)
{
    if (k < 0 || k > MAX_FDS)
        return -1;
    struct floor *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    f->send_byte = 42;
    f->send_iov.iov_base = &f->send_byte;
    f->send_iov.iov_len = 1;
    f->send.msg_iov = &f->send_iov;
    f->send.msg_iovlen = 1;
    if (k > 0) {
        f->send.msg_control = f->out.buf;
        f->send.msg_controllen = CMSG_SPACE(k * sizeof(int));
        struct cmsghdr *c = CMSG_FIRSTHDR(&f->send);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(k * sizeof(int));
        int *fds = (int *)CMSG_DATA(c);
        for (int i = 0; i < k; i++)
            fds[i] = devnull;
    }
    f->recv_iov.iov_base = &f->recv_byte;
    f->recv_iov.iov_len = 1;
    f->recv.msg_iov = &f->recv_iov;
    f->recv.msg_iovlen = 1;
    f->recv.msg_control = f->in.buf;
    f->recv.msg_controllen = sizeof f->in.buf;
    struct cmsghdr *in = CMSG_FIRSTHDR(&f->recv);

    calls->sendmsg = (void *)&sendmsg;
    calls->recvmsg = (void *)&recvmsg;
    calls->close = (void *)&close;
    calls->send_flags = MSG_NOSIGNAL;
    calls->recv_flags = MSG_CMSG_CLOEXEC;
    calls->send = &f->send;
    calls->recv = &f->recv;
    calls->recv_controllen = &f->recv.msg_controllen;
    calls->recv_control_space = sizeof f->in.buf;
    calls->recv_cmsg_len = &in->cmsg_len;
    calls->cmsg_len_empty = CMSG_LEN(0);
    calls->received = (int *)CMSG_DATA(in);
    calls->recv_msg_flags = &f->recv.msg_flags;
    calls->ctrunc = MSG_CTRUNC;
    calls->eintr = EINTR;
    return 0;
}
