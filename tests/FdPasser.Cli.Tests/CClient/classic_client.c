/* A classic open-server client, as C programs and File::FDpasser talk to one:
 * endp_connect(), write "open <path> <flags>\0", recv_fh() with the original's recvmsg logic
 * (one recvmsg into 4096 bytes, a CMSG_LEN(4) control buffer, the NUL must be the next-to-last byte,
 * any text before it goes to stderr), then copy what the received descriptor reads to stdout.
 * Usage: classic_client ENDPOINT PATH FLAGS    exit 0 = copied, 3 = refused, other = failure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>

#define CONTROLLEN (sizeof(struct cmsghdr) + sizeof(int))

static int endp_connect(const char *name)
{
    struct sockaddr_un addr;
    int fd = socket(PF_UNIX, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    memset(&addr, 0, sizeof(addr));
    addr.sun_family = AF_UNIX;
    strncpy(addr.sun_path, name, sizeof(addr.sun_path) - 1);
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
        return -1;
    return fd;
}

/* Returns the descriptor, -status for an error status, or -1000 for a failure. */
static int recv_fh(int servfd)
{
    char buf[4096];
    struct iovec iov[1];
    struct msghdr msg;
    struct cmsghdr *cmptr = malloc(CONTROLLEN);
    int newfd = -1000, nread, status = -1;
    char *ptr;

    for (;;) {
        iov[0].iov_base = buf;
        iov[0].iov_len = sizeof(buf);
        msg.msg_iov = iov;
        msg.msg_iovlen = 1;
        msg.msg_name = NULL;
        msg.msg_namelen = 0;
        msg.msg_control = cmptr;
        msg.msg_controllen = CONTROLLEN;
        msg.msg_flags = 0;
        if ((nread = recvmsg(servfd, &msg, 0)) < 0) {
            perror("recvmsg");
            return -1000;
        } else if (nread == 0) {
            fprintf(stderr, "connection closed by server\n");
            return -1000;
        }
        for (ptr = buf; ptr < &buf[nread];) {
            if (*ptr++ == 0) {
                if (ptr != &buf[nread - 1]) {
                    fprintf(stderr, "message format error\n");
                    return -1000;
                }
                status = *ptr & 255;
                if (status == 0) {
                    if (msg.msg_controllen != CONTROLLEN) {
                        fprintf(stderr, "status = 0 but no fd (controllen %d)\n", (int)msg.msg_controllen);
                        return -1000;
                    }
                    newfd = *(int *)CMSG_DATA(cmptr);
                } else {
                    newfd = -status;
                }
                nread -= 2;
            }
        }
        if (nread > 0 && write(STDERR_FILENO, buf, nread) != nread)
            return -1000;
        if (status >= 0)
            return newfd;
    }
}

int main(int argc, char **argv)
{
    char request[4200], data[4096];
    int fd, got, n;
    ssize_t r;

    if (argc != 4) {
        fprintf(stderr, "usage: classic_client ENDPOINT PATH FLAGS\n");
        return 2;
    }
    if ((fd = endp_connect(argv[1])) < 0) {
        perror("endp_connect");
        return 10;
    }
    n = snprintf(request, sizeof(request), "open %s %s", argv[2], argv[3]);
    if (write(fd, request, n + 1) != n + 1) {
        perror("write");
        return 11;
    }
    got = recv_fh(fd);
    if (got == -1000)
        return 12;
    if (got < 0) {
        fprintf(stderr, "\nstatus %d\n", -got);
        return 3;
    }
    while ((r = read(got, data, sizeof(data))) > 0)
        if (write(STDOUT_FILENO, data, r) != r)
            return 13;
    return r < 0 ? 14 : 0;
}
