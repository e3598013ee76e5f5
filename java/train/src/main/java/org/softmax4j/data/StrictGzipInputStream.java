package org.softmax4j.data;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PushbackInputStream;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import java.util.zip.ZipException;

/**
 * A gzip stream (RFC 1952) read strictly, streaming: every member's header,
 * CRC-32 and length are checked, concatenated members are read as one
 * stream, and anything after the last member that is not another gzip
 * member is an error. {@link java.util.zip.GZIPInputStream} stops silently
 * at such garbage, so a damaged or appended file would pass as valid.
 */
final class StrictGzipInputStream extends InputStream {
    private static final int FHCRC = 2, FEXTRA = 4, FNAME = 8, FCOMMENT = 16;

    private final PushbackInputStream in;
    private final Inflater inflater = new Inflater(true);
    private final CRC32 crc = new CRC32();
    private final byte[] buf = new byte[1 << 16];
    private int bufLength;
    /** Compressed bytes consumed so far, for messages. */
    private long offset;

    private long memberBytes;
    private boolean done;

    StrictGzipInputStream(InputStream raw) throws IOException {
        in = new PushbackInputStream(raw, buf.length);
        header();
    }

    private int next() throws IOException {
        int b = in.read();
        if (b < 0) throw new EOFException("the gzip header ends early, at byte " + offset);
        offset++;
        return b;
    }

    private void skipHeaderBytes(long n) throws IOException {
        for (long i = 0; i < n; i++) next();
    }

    private void header() throws IOException {
        long start = offset;
        if (next() != 0x1f || next() != 0x8b) {
            throw new ZipException("not a gzip member at byte " + start);
        }
        if (next() != 8) throw new ZipException("unknown compression method at byte " + (offset - 1));
        int flags = next();
        if ((flags & 0xe0) != 0) throw new ZipException("reserved header flags set at byte " + (offset - 1));
        skipHeaderBytes(6); // mtime, extra flags, OS
        if ((flags & FEXTRA) != 0) skipHeaderBytes(next() | next() << 8);
        if ((flags & FNAME) != 0) while (next() != 0) {}
        if ((flags & FCOMMENT) != 0) while (next() != 0) {}
        if ((flags & FHCRC) != 0) skipHeaderBytes(2);
        inflater.reset();
        crc.reset();
        memberBytes = 0;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) return 0;
        while (!done) {
            int n;
            try {
                n = inflater.inflate(b, off, len);
            } catch (DataFormatException e) {
                throw new ZipException("invalid compressed data near byte " + offset + ": " + e.getMessage());
            }
            if (n > 0) {
                crc.update(b, off, n);
                memberBytes += n;
                return n;
            }
            if (inflater.finished()) {
                trailer();
            } else if (inflater.needsInput()) {
                bufLength = in.read(buf);
                if (bufLength < 0) throw new EOFException("the compressed data ends early, at byte " + offset);
                offset += bufLength;
                inflater.setInput(buf, 0, bufLength);
            } else if (inflater.needsDictionary()) {
                throw new ZipException("a preset dictionary, which gzip does not allow");
            }
        }
        return -1;
    }

    /** The end of a member: its trailer, then the end of the file or the next member. */
    private void trailer() throws IOException {
        int rest = inflater.getRemaining();
        if (rest > 0) {
            in.unread(buf, bufLength - rest, rest);
            offset -= rest;
        }
        long storedCrc = 0, storedSize = 0;
        for (int i = 0; i < 4; i++) storedCrc |= (long) next() << (8 * i);
        for (int i = 0; i < 4; i++) storedSize |= (long) next() << (8 * i);
        if (storedCrc != crc.getValue()) {
            throw new ZipException(
                    String.format("CRC-32 mismatch (data %08x, trailer %08x)", crc.getValue(), storedCrc));
        }
        if (storedSize != (memberBytes & 0xffffffffL)) {
            throw new ZipException("length mismatch (data " + memberBytes + " bytes, trailer " + storedSize + ")");
        }
        int b = in.read();
        if (b < 0) {
            done = true;
            return;
        }
        in.unread(b);
        long at = offset;
        try {
            header(); // a concatenated member (gzip -c a b > c) continues the stream
        } catch (ZipException | EOFException e) {
            throw new ZipException("unexpected bytes after the gzip data, at byte " + at);
        }
    }

    @Override
    public void close() throws IOException {
        inflater.end();
        in.close();
    }
}
