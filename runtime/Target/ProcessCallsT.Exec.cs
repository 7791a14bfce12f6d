using System.Text;

namespace FdPasser.Platform;

internal sealed unsafe partial class ProcessCalls<TAbi>
{
    public override bool SupportsExec => TAbi.Has_execve;

    public override int Exec(string path, string[] argv, string[] envp)
    {
        if (!TAbi.Has_execve)
        {
            throw Missing("execve");
        }
        using var args = new Utf8Strings(argv);
        using var env = new Utf8Strings(envp);
        byte[] file = Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* f = file)
        {
            TAbi.execve(f, args.Pointer, env.Pointer); // returns only when it failed
            return LastErrno;
        }
    }

    public override int TryClearCloseOnExec(int fd)
    {
        while (TAbi.fcntl(fd, TAbi.F_SETFD, 0) != 0)
        {
            int errno = LastErrno;
            if (errno != TAbi.EINTR)
            {
                return errno;
            }
        }
        return 0;
    }
}
