#!/usr/bin/env python3
"""A pseudo-terminal the caller controls, for tests and benches that need a terminal that can stop
being read (an SSH stall, a laptop lid, a frozen emulator).

    pty-driver.py COLUMNS ROWS -- ARGV...

Runs ARGV on the slave side of a new pty of that size. Everything the program writes to its
terminal is relayed, as raw bytes, to this driver's stdout. Commands arrive on stdin, one a line:

    stop            stop reading the terminal: the program's writes block once the pty fills
    go              read it again (drain)
    keys HEX        type these bytes (hex-encoded) into the terminal
    signal N        send signal N to the program

Events go to stderr, one a line: "started PID", "stopped", "draining", "exit CODE" (128+N after
signal N). The driver exits once the program has exited and its output is read, or when stdin
closes (the program is then sent SIGKILL).
"""
import errno
import fcntl
import os
import pty
import select
import signal
import struct
import sys
import termios


def main() -> int:
    args = sys.argv[1:]
    if len(args) < 4 or args[2] != '--':
        sys.stderr.write(__doc__)
        return 2
    cols, rows, argv = int(args[0]), int(args[1]), args[3:]

    pid, master = pty.fork()
    if pid == 0:
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack('HHHH', rows, cols, 0, 0))
        try:
            os.execvp(argv[0], argv)
        except OSError as e:
            os.write(2, f'pty-driver: cannot run {argv[0]}: {e}\n'.encode())
            os._exit(127)

    out = sys.stdout.buffer
    def event(text: str) -> None:
        sys.stderr.write(text + '\n')
        sys.stderr.flush()

    event(f'started {pid}')
    reading = True
    control = sys.stdin.buffer.raw
    pending = b''
    status = None
    master_open = True
    control_open = True

    while master_open or (status is None):
        fds = []
        if control_open:
            fds.append(control)
        if reading and master_open:
            fds.append(master)
        if not fds:
            # Nothing left to read: the program's exit decides.
            break
        # While not reading, wake up now and then to notice the program's exit.
        ready, _, _ = select.select(fds, [], [], 0.2)
        if master in ready:
            try:
                data = os.read(master, 65536)
            except OSError as e:
                if e.errno != errno.EIO:
                    raise
                data = b''
            if data:
                out.write(data)
                out.flush()
            else:
                master_open = False
        if control in ready:
            chunk = os.read(control.fileno(), 65536)
            if not chunk:
                control_open = False
                if status is None:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                reading = True
            pending += chunk
            while b'\n' in pending:
                line, pending = pending.split(b'\n', 1)
                words = line.decode().strip().split()
                if not words:
                    continue
                if words[0] == 'stop':
                    reading = False
                    event('stopped')
                elif words[0] == 'go':
                    reading = True
                    event('draining')
                elif words[0] == 'keys' and len(words) == 2:
                    os.write(master, bytes.fromhex(words[1]))
                elif words[0] == 'signal' and len(words) == 2:
                    try:
                        os.kill(pid, int(words[1]))
                    except ProcessLookupError:
                        pass
        if status is None:
            done, st = os.waitpid(pid, os.WNOHANG)
            if done == pid:
                status = os.waitstatus_to_exitcode(st)
                status = -status + 128 if status < 0 else status
                # Drain what is left, then stop.
                reading = True
        if status is not None and not master_open:
            break
        if status is not None and not reading:
            break
    if status is None:
        _, st = os.waitpid(pid, 0)
        status = os.waitstatus_to_exitcode(st)
        status = -status + 128 if status < 0 else status
    event(f'exit {status}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
