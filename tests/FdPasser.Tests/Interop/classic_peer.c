/*
 * A peer written the way C programs using the classic send_fd/recv_fd protocol are (and as File::FDpasser's
 * XS does it): one sendmsg of "\0<status>" with a CMSG_LEN(sizeof(int)) control buffer; one recvmsg into a
 * 4096-byte buffer, the NUL must be the next-to-last byte read, status 0 takes the int from CMSG_DATA.
 *
 *   classic_peer recv ENDPOINT          connect, recv_fh, print the file's contents
 *   classic_peer send ENDPOINT FILE     connect, open FILE, send_file
 *   classic_peer senderr ENDPOINT CODE  connect, send an error status with a message
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int endp_connect(const char *path) {
    int fd = socket(PF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    strncpy(sa.sun_path, path, sizeof sa.sun_path - 1);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) { perror("endp_connect"); exit(3); }
    return fd;
}

static int send_fd(int conn, int fd, int status) {
    char buf[2] = { 0, (char)status };
    struct iovec iov = { buf, 2 };
    char control[CMSG_LEN(sizeof(int))];
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    if (status == 0) {
        struct cmsghdr *cmsg = (struct cmsghdr *)control;
        cmsg->cmsg_level = SOL_SOCKET;
        cmsg->cmsg_type = SCM_RIGHTS;
        cmsg->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
        msg.msg_control = control;
        msg.msg_controllen = CMSG_LEN(sizeof(int));
    }
    return sendmsg(conn, &msg, 0) == 2 ? 0 : -1;
}

static int recv_fd(int conn) {
    char buf[4096];
    char control[CMSG_LEN(sizeof(int))];
    for (;;) {
        struct iovec iov = { buf, sizeof buf };
        struct msghdr msg;
        memset(&msg, 0, sizeof msg);
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        ssize_t n = recvmsg(conn, &msg, 0);
        if (n <= 0) { fprintf(stderr, "recv_fd: connection closed\n"); return -1; }
        for (ssize_t i = 0; i < n; i++) {
            if (buf[i] == 0) {
                if (i != n - 2) { fprintf(stderr, "recv_fd: protocol error\n"); return -1; }
                int status = (unsigned char)buf[i + 1];
                if (status != 0) {
                    fwrite(buf, 1, (size_t)i, stderr);
                    fprintf(stderr, "\nrecv_fd: error status %d\n", status);
                    return -status;
                }
                if (msg.msg_controllen != CMSG_LEN(sizeof(int))) { fprintf(stderr, "recv_fd: no descriptor\n"); return -1; }
                int fd;
                memcpy(&fd, CMSG_DATA((struct cmsghdr *)control), sizeof fd);
                return fd;
            }
        }
    }
}

int main(int argc, char **argv) {
    if (argc < 3) return 2;
    int conn = endp_connect(argv[2]);
    if (strcmp(argv[1], "recv") == 0) {
        int fd = recv_fd(conn);
        if (fd < 0) return 1;
        char data[4096];
        ssize_t n = read(fd, data, sizeof data);
        printf("read: %.*s\n", (int)(n < 0 ? 0 : n), data);
        return 0;
    }
    if (strcmp(argv[1], "send") == 0 && argc == 4) {
        int fd = open(argv[3], O_RDONLY);
        if (fd < 0) { perror("open"); return 3; }
        return send_fd(conn, fd, 0) == 0 ? 0 : 1;
    }
    if (strcmp(argv[1], "senderr") == 0 && argc == 4) {
        const char *text = "refused by the C peer";
        write(conn, text, strlen(text));
        return send_fd(conn, -1, atoi(argv[3])) == 0 ? 0 : 1;
    }
    return 2;
}
