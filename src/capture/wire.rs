//! The WebSocket wire as the relay reads it: frames cut whole from a side's
//! bytes, each kept as it came so that one no rule touches goes on exactly
//! as the peer wrote it (a client's mask and all), and messages encoded
//! afresh only when the inspector changed or made them.
//!
//! Passing bytes on instead of decoding and re-encoding every frame is what
//! lets the relay keep up with a flood: a frame costs a header parse and a
//! copy of its payload for the inspector.

use bytes::{Buf, Bytes, BytesMut};
use thiserror::Error;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Control, Data, OpCode};

use crate::conn::arena::{Arena, unmask};

/// Why a side's bytes are not a WebSocket stream wscope can pass on.
#[derive(Debug, Error, PartialEq)]
pub enum WireError {
    #[error("a frame came unmasked from the client (RFC 6455 requires a mask)")]
    Unmasked,
    #[error("a frame came masked from the server (RFC 6455 forbids it)")]
    Masked,
    #[error("a frame has reserved bits set, and no extension was agreed")]
    Reserved,
    #[error("a control frame is fragmented or longer than 125 bytes")]
    BadControl,
    #[error("a continuation frame came with no message to continue")]
    StrayContinuation,
    #[error("a new message began before the fragmented one ended")]
    Interleaved,
    #[error("a message of {size} bytes is over the limit of {limit}")]
    TooLarge { size: u64, limit: usize },
    #[error("{0}")]
    Malformed(String),
}

impl WireError {
    /// The close code that tells the offending peer (RFC 6455, 7.4.1).
    pub fn close_code(&self) -> u16 {
        match self {
            Self::TooLarge { .. } => 1009,
            _ => 1002,
        }
    }
}

/// What a side's bytes have delivered.
#[derive(Debug)]
pub struct Piece {
    pub kind: PieceKind,
    /// The payload, unmasked: a message's fragments joined.
    pub payload: Bytes,
    /// The bytes exactly as they came (every fragment of a message): read
    /// them with [`Reader::wire`] before the reader reads again.
    pub wire: Wire,
}

/// Where a piece's bytes are. A frame's own bytes are left in the read
/// buffer rather than split off: a view of it per frame costs two atomic
/// counts, which were a fifth of a flood's time.
#[derive(Debug)]
pub enum Wire {
    InBuffer(std::ops::Range<usize>),
    Joined(Bytes),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PieceKind {
    Text,
    Binary,
    Ping,
    Pong,
    Close,
}

impl PieceKind {
    /// A piece of this kind as tungstenite's message, for the rules and the
    /// hold; a text that is not UTF-8 has none (it can only go on as it
    /// came).
    pub fn message(self, payload: &Bytes) -> Option<Message> {
        Some(match self {
            Self::Text => Message::Text(payload.clone().try_into().ok()?),
            Self::Binary => Message::Binary(payload.clone()),
            Self::Ping => Message::Ping(payload.clone()),
            Self::Pong => Message::Pong(payload.clone()),
            Self::Close => Message::Close(close_frame(payload)),
        })
    }
}

/// A close frame's code and reason, read from its payload.
pub fn close_frame(payload: &[u8]) -> Option<CloseFrame> {
    let code = u16::from_be_bytes([*payload.first()?, *payload.get(1)?]);
    let reason = String::from_utf8_lossy(&payload[2..]).into_owned();
    Some(CloseFrame {
        code: code.into(),
        reason: reason.into(),
    })
}

/// A fragmented message being put together.
struct Fragments {
    text: bool,
    payload: Vec<u8>,
    wire: BytesMut,
}

/// Cuts one side's bytes into pieces.
pub struct Reader {
    buffer: BytesMut,
    /// Where the bytes not yet cut into pieces begin.
    start: usize,
    /// Frames from a client are masked, from a server not.
    from_client: bool,
    limit: usize,
    fragments: Option<Fragments>,
    arena: Arena,
    /// Room kept free for the next read: it grows while reads fill it (a
    /// flood is read in few calls) and shrinks back while they do not (a
    /// thousand quiet connections keep little).
    read_size: usize,
    least_read_size: usize,
}

/// The most room kept free for one read.
const MOST_READ_SIZE: usize = 256 * 1024;

impl Reader {
    /// `leftover`: bytes read past the handshake, the first of the stream.
    pub fn new(leftover: Vec<u8>, from_client: bool, limit: usize, read_size: usize) -> Self {
        let mut buffer = BytesMut::with_capacity(read_size.max(leftover.len()));
        buffer.extend_from_slice(&leftover);
        Self {
            buffer,
            start: 0,
            from_client,
            limit,
            fragments: None,
            arena: Arena::default(),
            read_size,
            least_read_size: read_size,
        }
    }

    /// Reads more bytes unless a whole frame is buffered already; `Ok(0)`
    /// is the end of the stream. Cancel-safe: nothing is read if dropped.
    pub async fn fill<R: AsyncRead + Unpin>(&mut self, from: &mut R) -> std::io::Result<usize> {
        if self.whole_frame_buffered() {
            return Ok(self.buffer.len() - self.start);
        }
        self.buffer.advance(self.start);
        self.start = 0;
        // A buffer grown for one large frame goes back to the usual size
        // once it is empty, so a connection does not keep 64 MiB for life.
        if self.buffer.is_empty() && self.buffer.capacity() > 2 * MOST_READ_SIZE {
            self.buffer = BytesMut::with_capacity(self.read_size);
        }
        self.buffer.reserve(self.read_size);
        let read = from.read_buf(&mut self.buffer).await?;
        if read >= self.read_size {
            self.read_size = (self.read_size * 2).min(MOST_READ_SIZE);
        } else if read < self.read_size / 4 {
            self.read_size = (self.read_size / 2).max(self.least_read_size);
        }
        Ok(read)
    }

    /// Bytes of the buffer, as [`Wire::InBuffer`] names them; valid until
    /// the next read.
    pub fn buffered(&self, range: std::ops::Range<usize>) -> &[u8] {
        &self.buffer[range]
    }

    /// The bytes `piece` came in.
    pub fn wire<'a>(&'a self, wire: &'a Wire) -> &'a [u8] {
        match wire {
            Wire::InBuffer(range) => &self.buffer[range.clone()],
            Wire::Joined(bytes) => bytes,
        }
    }

    fn whole_frame_buffered(&self) -> bool {
        let unread = &self.buffer[self.start..];
        Head::parse(unread).is_some_and(|head| (unread.len() - head.size) as u64 >= head.length)
    }

    /// The next whole piece buffered, if any.
    pub fn next(&mut self) -> Result<Option<Piece>, WireError> {
        loop {
            let unread = &self.buffer[self.start..];
            let Some(header) = Head::parse(unread) else {
                return Ok(None);
            };
            let (header_length, length) = (header.size, header.length);
            self.check(&header)?;
            let unread = unread.len();
            if ((unread - header_length) as u64) < length {
                // Room for the rest of it, so it is read in few calls.
                self.buffer.reserve(header_length + length as usize - unread);
                return Ok(None);
            }
            let frame = self.start..self.start + header_length + length as usize;
            self.start = frame.end;
            if let Some(piece) = self.take(&header, frame, header_length)? {
                return Ok(Some(piece));
            }
        }
    }

    fn check(&self, header: &Head) -> Result<(), WireError> {
        let length = header.length;
        match (self.from_client, header.mask.is_some()) {
            (true, false) => return Err(WireError::Unmasked),
            (false, true) => return Err(WireError::Masked),
            _ => {}
        }
        if header.reserved {
            return Err(WireError::Reserved);
        }
        if let OpCode::Control(Control::Reserved(code)) | OpCode::Data(Data::Reserved(code)) = header.opcode {
            return Err(reserved_opcode(code));
        }
        if matches!(header.opcode, OpCode::Control(_)) && (!header.is_final || length > 125) {
            return Err(WireError::BadControl);
        }
        let so_far = self.fragments.as_ref().map_or(0, |f| f.payload.len()) as u64;
        if so_far.saturating_add(length) > self.limit as u64 {
            return Err(WireError::TooLarge {
                size: so_far.saturating_add(length),
                limit: self.limit,
            });
        }
        Ok(())
    }

    /// One whole frame: a piece, or a fragment kept for later.
    fn take(
        &mut self,
        header: &Head,
        frame: std::ops::Range<usize>,
        header_length: usize,
    ) -> Result<Option<Piece>, WireError> {
        let wire = &self.buffer[frame.clone()];
        let payload = &wire[header_length..];
        let whole = |kind, arena: &mut Arena| {
            Ok(Some(Piece {
                kind,
                payload: arena.keep_unmasked(payload, header.mask),
                wire: Wire::InBuffer(frame.clone()),
            }))
        };
        let text = match header.opcode {
            OpCode::Control(Control::Ping) => return whole(PieceKind::Ping, &mut self.arena),
            OpCode::Control(Control::Pong) => return whole(PieceKind::Pong, &mut self.arena),
            OpCode::Control(Control::Close) => return whole(PieceKind::Close, &mut self.arena),
            OpCode::Control(Control::Reserved(code)) | OpCode::Data(Data::Reserved(code)) => {
                return Err(reserved_opcode(code));
            }
            OpCode::Data(Data::Continue) => {
                let Some(mut whole) = self.fragments.take() else {
                    return Err(WireError::StrayContinuation);
                };
                let start = whole.payload.len();
                whole.payload.extend_from_slice(payload);
                if let Some(mask) = header.mask {
                    unmask(&mut whole.payload[start..], mask);
                }
                whole.wire.extend_from_slice(wire);
                if !header.is_final {
                    self.fragments = Some(whole);
                    return Ok(None);
                }
                let kind = if whole.text { PieceKind::Text } else { PieceKind::Binary };
                return Ok(Some(Piece {
                    kind,
                    payload: self.arena.keep(&whole.payload),
                    wire: Wire::Joined(whole.wire.freeze()),
                }));
            }
            OpCode::Data(Data::Text) => true,
            OpCode::Data(Data::Binary) => false,
        };
        if self.fragments.is_some() {
            return Err(WireError::Interleaved);
        }
        if !header.is_final {
            let mut fragments = Fragments {
                text,
                payload: payload.to_vec(),
                wire: BytesMut::from(wire),
            };
            if let Some(mask) = header.mask {
                unmask(&mut fragments.payload, mask);
            }
            self.fragments = Some(fragments);
            return Ok(None);
        }
        whole(if text { PieceKind::Text } else { PieceKind::Binary }, &mut self.arena)
    }
}

fn reserved_opcode(code: u8) -> WireError {
    WireError::Malformed(format!("a frame has the reserved opcode {code}"))
}

/// A frame's header as RFC 6455 (5.2) lays it out. Read here rather than by
/// tungstenite's `FrameHeader::parse`, which reads through a `Cursor` byte
/// group by byte group: the relay reads one header per frame of a flood.
#[derive(Debug, PartialEq)]
struct Head {
    is_final: bool,
    /// Any of RSV1 to RSV3.
    reserved: bool,
    opcode: OpCode,
    mask: Option<[u8; 4]>,
    /// The payload's length.
    length: u64,
    /// The header's own length.
    size: usize,
}

impl Head {
    /// The header at the start of `bytes`, or `None` while it is incomplete.
    fn parse(bytes: &[u8]) -> Option<Self> {
        let [first, second, ..] = *bytes else { return None };
        let (length, mut size) = match second & 0x7F {
            126 => (u64::from(u16::from_be_bytes(bytes.get(2..4)?.try_into().ok()?)), 4),
            127 => (u64::from_be_bytes(bytes.get(2..10)?.try_into().ok()?), 10),
            short => (u64::from(short), 2),
        };
        let mask = if second & 0x80 != 0 {
            let mask = bytes.get(size..size + 4)?.try_into().ok()?;
            size += 4;
            Some(mask)
        } else {
            None
        };
        Some(Self {
            is_final: first & 0x80 != 0,
            reserved: first & 0x70 != 0,
            opcode: OpCode::from(first & 0x0F),
            mask,
            length,
            size,
        })
    }
}

/// Appends `message` to `out` as one frame: masked when it goes to a
/// server, as RFC 6455 requires of a client.
pub fn encode(message: Message, to_server: bool, out: &mut Vec<u8>) {
    let mut frame = match message {
        Message::Text(text) => Frame::message(Bytes::from(text), OpCode::Data(Data::Text), true),
        Message::Binary(data) => Frame::message(data, OpCode::Data(Data::Binary), true),
        Message::Ping(data) => Frame::ping(data),
        Message::Pong(data) => Frame::pong(data),
        Message::Close(close) => Frame::close(close),
        Message::Frame(frame) => frame,
    };
    if to_server {
        frame.header_mut().mask = Some(fastrand::u32(..).to_ne_bytes());
    }
    // Writing to a Vec cannot fail.
    let _ = frame.format(out);
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio_tungstenite::tungstenite::protocol::frame::FrameHeader;

    const LIMIT: usize = 1 << 20;

    #[test]
    fn headers_read_as_tungstenite_reads_them() {
        let mut cases = 0;
        for length in [0u64, 1, 125, 126, 127, 65_535, 65_536, 1 << 40] {
            for mask in [None, Some([9, 8, 7, 6])] {
                for first in [0x81u8, 0x02, 0x89, 0x8A, 0x88, 0x80, 0xC1, 0x93, 0x8B] {
                    let mut bytes = Vec::new();
                    let header = FrameHeader {
                        is_final: first & 0x80 != 0,
                        rsv1: first & 0x40 != 0,
                        rsv2: first & 0x20 != 0,
                        rsv3: first & 0x10 != 0,
                        opcode: OpCode::from(first & 0x0F),
                        mask,
                    };
                    header.format(length, &mut bytes).unwrap();
                    let head = Head::parse(&bytes).unwrap();
                    assert_eq!(
                        (
                            head.is_final,
                            head.reserved,
                            head.opcode,
                            head.mask,
                            head.length,
                            head.size
                        ),
                        (
                            header.is_final,
                            header.rsv1 || header.rsv2 || header.rsv3,
                            header.opcode,
                            mask,
                            length,
                            bytes.len()
                        ),
                        "{first:#x} {length} {mask:?}"
                    );
                    for cut in 0..bytes.len() {
                        assert_eq!(Head::parse(&bytes[..cut]), None, "cut at {cut}");
                    }
                    cases += 1;
                }
            }
        }
        assert_eq!(cases, 8 * 2 * 9);
    }

    fn frame(message: Message, masked: bool) -> Vec<u8> {
        let mut out = Vec::new();
        encode(message, masked, &mut out);
        out
    }

    fn fragment(opcode: OpCode, payload: &[u8], is_final: bool, masked: bool) -> Vec<u8> {
        let mut frame = Frame::message(Bytes::copy_from_slice(payload), opcode, is_final);
        if masked {
            frame.header_mut().mask = Some([1, 2, 3, 4]);
        }
        let mut out = Vec::new();
        frame.format(&mut out).unwrap();
        out
    }

    fn pieces(reader: &mut Reader) -> Result<Vec<Piece>, WireError> {
        std::iter::from_fn(|| reader.next().transpose()).collect()
    }

    #[test]
    fn a_clients_frames_keep_their_bytes_and_yield_the_unmasked_payload() {
        let mut bytes = frame(Message::text("hello"), true);
        bytes.extend(frame(Message::Ping(Bytes::from_static(b"p")), true));
        bytes.extend(frame(Message::binary(vec![0u8, 255, 7]), true));
        let mut reader = Reader::new(bytes.clone(), true, LIMIT, 1024);
        let got = pieces(&mut reader).unwrap();
        let kinds: Vec<PieceKind> = got.iter().map(|p| p.kind).collect();
        assert_eq!(kinds, [PieceKind::Text, PieceKind::Ping, PieceKind::Binary]);
        assert_eq!(&got[0].payload[..], b"hello");
        assert_eq!(&got[2].payload[..], &[0, 255, 7]);
        // The bytes passed on are the client's own, mask included.
        let wire: Vec<u8> = got.iter().flat_map(|p| reader.wire(&p.wire).to_vec()).collect();
        assert_eq!(wire, bytes);
    }

    #[test]
    fn a_frame_cut_anywhere_waits_for_its_rest() {
        let bytes = frame(Message::text("x".repeat(300)), true);
        for cut in 0..bytes.len() {
            let mut reader = Reader::new(bytes[..cut].to_vec(), true, LIMIT, 1024);
            assert!(reader.next().unwrap().is_none(), "cut at {cut}");
            reader.buffer.extend_from_slice(&bytes[cut..]);
            assert_eq!(reader.next().unwrap().unwrap().payload.len(), 300);
        }
    }

    #[test]
    fn fragments_join_into_one_message_with_a_control_frame_between() {
        let mut bytes = fragment(OpCode::Data(Data::Text), b"hel", false, false);
        bytes.extend(frame(Message::Ping(Bytes::from_static(b"p")), false));
        bytes.extend(fragment(OpCode::Data(Data::Continue), b"lo ", false, false));
        bytes.extend(fragment(OpCode::Data(Data::Continue), b"you", true, false));
        let mut reader = Reader::new(bytes.clone(), false, LIMIT, 1024);
        let got = pieces(&mut reader).unwrap();
        assert_eq!(got[0].kind, PieceKind::Ping);
        assert_eq!(got[1].kind, PieceKind::Text);
        assert_eq!(&got[1].payload[..], b"hello you");
        assert_eq!(
            reader.wire(&got[0].wire).len() + reader.wire(&got[1].wire).len(),
            bytes.len()
        );
        let masked = [
            fragment(OpCode::Data(Data::Binary), b"ab", false, true),
            fragment(OpCode::Data(Data::Continue), b"cdefg", true, true),
        ]
        .concat();
        let got = pieces(&mut Reader::new(masked, true, LIMIT, 1024)).unwrap();
        assert_eq!(&got[0].payload[..], b"abcdefg");
    }

    #[test]
    fn each_breach_of_the_protocol_is_named() {
        let refused =
            |bytes: Vec<u8>, from_client: bool| pieces(&mut Reader::new(bytes, from_client, 100, 1024)).unwrap_err();
        assert_eq!(refused(frame(Message::text("a"), false), true), WireError::Unmasked);
        assert_eq!(refused(frame(Message::text("a"), true), false), WireError::Masked);
        let mut reserved = frame(Message::text("a"), false);
        reserved[0] |= 0x40;
        assert_eq!(refused(reserved, false), WireError::Reserved);
        let long_ping = frame(Message::Ping(Bytes::from(vec![0u8; 126])), false);
        assert_eq!(refused(long_ping, false), WireError::BadControl);
        let stray = fragment(OpCode::Data(Data::Continue), b"a", true, false);
        assert_eq!(refused(stray, false), WireError::StrayContinuation);
        let interleaved = [
            fragment(OpCode::Data(Data::Text), b"a", false, false),
            fragment(OpCode::Data(Data::Text), b"b", true, false),
        ]
        .concat();
        assert_eq!(refused(interleaved, false), WireError::Interleaved);
        // Refused on its header: the 60 MB are never waited for.
        let mut huge = Vec::new();
        FrameHeader {
            opcode: OpCode::Data(Data::Binary),
            is_final: true,
            ..FrameHeader::default()
        }
        .format(60_000_000, &mut huge)
        .unwrap();
        assert_eq!(
            refused(huge, false),
            WireError::TooLarge {
                size: 60_000_000,
                limit: 100
            }
        );
        let over_in_pieces = [
            fragment(OpCode::Data(Data::Text), &[b'a'; 60], false, false),
            fragment(OpCode::Data(Data::Continue), &[b'a'; 60], true, false),
        ]
        .concat();
        assert!(matches!(
            refused(over_in_pieces, false),
            WireError::TooLarge { size: 120, .. }
        ));
        assert!(matches!(refused(vec![0x83, 0], false), WireError::Malformed(_)));
    }

    #[test]
    fn what_is_encoded_for_a_server_is_masked_and_reads_back() {
        let bytes = frame(Message::text("edited"), true);
        assert_eq!(bytes[1] & 0x80, 0x80);
        let piece = Reader::new(bytes, true, LIMIT, 1024).next().unwrap().unwrap();
        assert_eq!(piece.kind.message(&piece.payload), Some(Message::text("edited")));
        let close = frame(Message::Close(close_frame(&[3, 232, b'b', b'y', b'e'])), false);
        let piece = Reader::new(close, false, LIMIT, 1024).next().unwrap().unwrap();
        let got = close_frame(&piece.payload).unwrap();
        assert_eq!((u16::from(got.code), got.reason.as_str()), (1000, "bye"));
        assert!(close_frame(&[]).is_none());
    }
}
