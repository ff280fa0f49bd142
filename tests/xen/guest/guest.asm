; SPDX-License-Identifier: GPL-2.0-only
; The test bed's own HVM guest (tests/xen/README.md, "The test guest"):
; a boot sector and a second stage, 16-bit real mode, loaded by SeaBIOS
; from the guest's first emulated disk.  Every proof is meant to be judged
; from outside the guest:
;   - COM1 (0x3f8): "GUEST: hello" at once, then one line per step
;   - disk: writes "STUBDM-GUEST-WROTE-<nonce>" to sector MARK_LBA with
;     int 13h, reads it back and compares (the test reads the image),
;     then asks the disk to flush its write cache (ATA FLUSH CACHE), as
;     an OS does: QEMU (cache=writeback) is then bound to put the write
;     through to the image, where a stub would otherwise hold it
;   - NIC: finds the rtl8139 (libxl's default emulated NIC) on PCI bus 0,
;     sends one broadcast Ethernet frame, ethertype 0x88b5, payload
;     "STUBDM-GUEST-FRAME-<nonce>" (the test captures it in dom0)
;   - disk benchmark: R rounds of writing then reading N KiB from sector
;     BENCH_LBA on, a line before and after each pass (with its TSC
;     cycles), 5 s between rounds
; then powers off through the ACPI PM1a control port Xen's hvmloader sets
; up (0xb004), so the domain ends.
;
; The parameter sector (PARAM_LBA), written by the test:
;   bytes 0-7 "STUBDMGP", 8-23 the nonce (16 characters), 24-27 N (KiB,
;   4 decimal digits, a multiple of 32, "0000" = no benchmark), 28 R
;   (rounds, a digit 1-9), 29 the mode: 'C' = counter mode (counter.inc:
;   the guest keeps running after its proofs instead of powering off),
;   'V' the screen (screen.inc: a pattern on the VGA text screen, then
;   the scancodes of the keys it gets); 30 in screen mode, 'D': watch the
;   CD-ROM drive hdc too (cdrom.inc: what a medium's volume descriptor
;   says, and when there is none)
;
;   nasm -f bin -o guest.bin guest.asm

bits 16
org 0x7c00

STAGE2_SECTORS	equ 15		; sectors 1..15, loaded at 0x7e00
PARAM_LBA	equ 16
MARK_LBA	equ 17
BENCH_LBA	equ 2048	; 1 MiB into the disk
CHUNK		equ 64		; sectors per int 13h call in the benchmark
PARAM		equ 0xa000	; buffers, below the EBDA
EXPECT		equ 0xa200
MARK		equ 0xa400
FRAME		equ 0xa600
FRAME_LEN	equ 64
BENCH_SEG	equ 0x1000	; 0x10000: CHUNK sectors of benchmark data
COM1		equ 0x3f8
PM1A_CNT	equ 0xb004	; hvmloader's PIIX4 PM base 0xb000 + 4
ATA_DRIVE	equ 0x1f6	; the primary IDE channel's registers
ATA_CMD		equ 0x1f7	; command (write) / status (read)

start:
	cli
	xor ax, ax
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov sp, 0x7c00
	sti
	cld
	mov [drive], dl
	call serial_init
	mov si, msg_hello
	call puts
	; the second stage: sectors 1.. to 0x7e00
	mov eax, 1
	mov bx, stage2
	mov cx, STAGE2_SECTORS
	mov dl, 0x42
	call disk_io
	jnc stage2
	mov si, msg_loadfail
	call puts
halt:
	cli
	hlt
	jmp halt

; disk_io: DL = 0x42 (read) or 0x43 (write), EAX = LBA, CX = sectors,
; ES:BX = buffer.  CF set on error.
disk_io:
	push si
	mov si, dap
	mov byte [si], 16
	mov byte [si + 1], 0
	mov [si + 2], cx
	mov [si + 4], bx
	mov [si + 6], es
	mov [si + 8], eax
	mov dword [si + 12], 0
	mov ah, dl
	mov al, 0
	mov dl, [drive]
	int 0x13
	pop si
	ret

serial_init:
	mov dx, COM1 + 1
	xor al, al
	out dx, al		; no interrupts
	mov dx, COM1 + 3
	mov al, 0x80
	out dx, al		; DLAB
	mov dx, COM1
	mov al, 1
	out dx, al		; 115200 baud
	inc dx
	xor al, al
	out dx, al
	mov dx, COM1 + 3
	mov al, 3
	out dx, al		; 8N1
	mov dx, COM1 + 2
	mov al, 0xc7
	out dx, al		; FIFO on, cleared
	mov dx, COM1 + 4
	mov al, 3
	out dx, al		; DTR, RTS
	ret

; putc: AL to COM1, after (a bounded wait for) an empty transmitter.
putc:
	push cx
	push dx
	push ax
	mov cx, 0xffff
	mov dx, COM1 + 5
.wait:
	in al, dx
	test al, 0x20
	jnz .send
	loop .wait
.send:
	pop ax
	mov dx, COM1
	out dx, al
	pop dx
	pop cx
	ret

; puts: the NUL-terminated string at DS:SI.
puts:
	push ax
.next:
	lodsb
	test al, al
	jz .done
	call putc
	jmp .next
.done:
	pop ax
	ret

drive:	db 0x80
dap:	times 16 db 0
msg_hello:	db "GUEST: hello", 13, 10, 0
msg_loadfail:	db "GUEST: cannot load stage 2", 13, 10, 0

	times 510 - ($ - $$) db 0
	dw 0xaa55

; ---- stage 2 (0x7e00) ----
stage2:
	mov si, msg_stage2
	call puts
	call params
	cmp byte [PARAM + 29], 'V'
	je screen_mode
	call disk_test
	call flush
	call nic_test
	call bench
	call flush
	call counter
	mov si, msg_done
	call puts
	; ACPI soft-off: SLP_EN with SLP_TYP 0 (Xen's DSDT \_S5)
	mov dx, PM1A_CNT
	mov ax, 0x2000
	out dx, ax
	mov si, msg_nooff
	call puts
	jmp halt

; params: read PARAM_LBA; without the magic, a nonce of dashes and no
; benchmark.
params:
	mov eax, PARAM_LBA
	mov bx, PARAM
	mov cx, 1
	mov dl, 0x42
	call disk_io
	jc .none
	mov si, PARAM
	mov di, magic
	mov cx, 8
	repe cmpsb
	je .have
.none:
	mov di, PARAM
	mov si, magic
	mov cx, 8
	rep movsb
	mov al, '-'
	mov cx, 16
	rep stosb
	mov al, '0'
	mov cx, 5
	rep stosb
	mov si, msg_noparams
	call puts
.have:
	mov si, msg_nonce
	call puts
	mov si, PARAM + 8
	mov cx, 16
	call putn
	mov si, msg_mib
	call puts
	mov si, PARAM + 24
	mov cx, 5
	call putn
	call crlf
	ret

; disk_test: write the marker to MARK_LBA, read it back, compare.
disk_test:
	mov di, EXPECT
	xor al, al
	mov cx, 512
	rep stosb
	mov di, EXPECT
	mov si, disk_text
	mov cx, disk_text_len
	rep movsb
	mov si, PARAM + 8
	mov cx, 16
	rep movsb
	mov eax, MARK_LBA
	mov bx, EXPECT
	mov cx, 1
	mov dl, 0x43
	call disk_io
	jc .werr
	mov di, MARK
	xor al, al
	mov cx, 512
	rep stosb
	mov eax, MARK_LBA
	mov bx, MARK
	mov cx, 1
	mov dl, 0x42
	call disk_io
	jc .rerr
	mov si, EXPECT
	mov di, MARK
	mov cx, 512
	repe cmpsb
	jne .differs
	mov si, msg_diskok
	jmp .out
.werr:
	mov si, msg_diskwerr
	jmp .out
.rerr:
	mov si, msg_diskrerr
	jmp .out
.differs:
	mov si, msg_diskdiff
.out:
	call puts
	ret

; flush: ATA FLUSH CACHE to the primary master (the boot disk, hda),
; then wait (bounded) for BSY to clear; one line says how it went.
flush:
	mov dx, ATA_DRIVE
	mov al, 0xa0
	out dx, al
	mov dx, ATA_CMD
	mov al, 0xe7
	out dx, al
	mov ecx, 0x1000000
.poll:
	in al, dx
	test al, 0x80
	jz .idle
	dec ecx
	jnz .poll
	mov si, msg_flushto
	jmp .out
.idle:
	mov si, msg_flushok
	test al, 0x01
	jz .out
	mov si, msg_flusherr
.out:
	call puts
	ret

; pci_read: EAX = config address; returns the dword in EAX.
pci_read:
	push dx
	mov dx, 0xcf8
	out dx, eax
	mov dx, 0xcfc
	in eax, dx
	pop dx
	ret

; nic_test: the first rtl8139 (10ec:8139) on bus 0; one frame from
; transmit descriptor 0.
nic_test:
	mov ebx, 0x80000000
.scan:
	mov eax, ebx
	call pci_read
	cmp eax, 0x813910ec
	je .found
	add ebx, 0x800		; next device
	cmp ebx, 0x80010000
	jb .scan
	mov si, msg_nonic
	call puts
	ret
.found:
	; I/O space and bus mastering on
	lea eax, [ebx + 4]
	mov dx, 0xcf8
	out dx, eax
	mov dx, 0xcfc
	in ax, dx
	or ax, 5
	out dx, ax
	lea eax, [ebx + 0x10]
	call pci_read
	and ax, 0xfffc
	mov [nic_io], ax
	; reset, bounded wait for it to clear
	mov dx, [nic_io]
	add dx, 0x37
	mov al, 0x10
	out dx, al
	mov cx, 0xffff
.reset:
	in al, dx
	test al, 0x10
	jz .ready
	loop .reset
.ready:
	; the frame: broadcast, our MAC, 0x88b5, the text and the nonce
	mov di, FRAME
	xor al, al
	mov cx, FRAME_LEN
	rep stosb
	mov di, FRAME
	mov al, 0xff
	mov cx, 6
	rep stosb
	mov dx, [nic_io]
	mov cx, 6
.mac:
	in al, dx
	stosb
	inc dx
	loop .mac
	mov ax, 0xb588		; 0x88b5 in network order
	stosw
	mov si, nic_text
	mov cx, nic_text_len
	rep movsb
	mov si, PARAM + 8
	mov cx, 16
	rep movsb
	; transmitter on; descriptor 0: address, then size (OWN clear: go)
	mov dx, [nic_io]
	add dx, 0x37
	mov al, 0x04
	out dx, al
	mov dx, [nic_io]
	add dx, 0x20
	mov eax, FRAME
	out dx, eax
	mov dx, [nic_io]
	add dx, 0x10
	mov eax, FRAME_LEN
	out dx, eax
	mov cx, 0xffff
.tx:
	in eax, dx
	test ax, 0x8000		; TOK
	jnz .sent
	loop .tx
	mov si, msg_nictimeout
	call puts
	ret
.sent:
	mov si, msg_nicsent
	call puts
	mov si, FRAME + 6
	mov cx, 6
.mac_out:
	lodsb
	call puthex8
	cmp cx, 1
	je .mac_end
	mov al, ':'
	call putc
.mac_end:
	loop .mac_out
	call crlf
	ret

; bench: R rounds of N KiB (in 32 KiB chunks) written, then read, from
; BENCH_LBA on, CHUNK sectors a call; a line before and after each pass,
; the pass's TSC cycles on its "done" line; 5 s (5 ticks of the RTC
; seconds, which Xen emulates itself) between rounds, for the test to
; change dom0's load.
bench:
	xor ax, ax
	mov si, PARAM + 24
	mov cx, 4
.digit:
	imul ax, ax, 10
	mov bl, [si]
	sub bl, '0'
	xor bh, bh
	add ax, bx
	inc si
	loop .digit
	test ax, ax
	jnz .run
	ret
.run:
	shr ax, 5		; chunks of CHUNK sectors (32 KiB)
	jnz .chunks
	inc ax
.chunks:
	mov [chunks], ax
	mov al, [PARAM + 28]
	cmp al, '1'
	jb .one
	cmp al, '9'
	jbe .rounds
.one:
	mov al, '1'
.rounds:
	mov [rounds], al
	mov byte [round], '1'
	; the data: a byte pattern
	push es
	mov bx, BENCH_SEG
	mov es, bx
	xor di, di
	mov cx, CHUNK * 512
.fill:
	mov ax, di
	xor al, ah
	stosb
	loop .fill
.next:
	cmp byte [round], '1'
	je .go
	mov si, msg_bpause
	call puts
	call rtc_wait
.go:
	mov dl, 0x43
	mov si, msg_bwrite
	call bench_timed
	jc .err
	mov dl, 0x42
	mov si, msg_bread
	call bench_timed
	jc .err
	mov al, [round]
	inc byte [round]
	cmp al, [rounds]
	jb .next
	pop es
	ret
.err:
	pop es
	mov si, msg_berr
	call puts
	ret

; bench_timed: DL = 0x42/0x43, SI = "read"/"write": the start line, the
; pass, the done line with its TSC cycles.  CF on a disk error.
bench_timed:
	mov [bench_op], dl
	mov [bench_what], si
	call bench_line
	mov si, msg_bstart
	call puts
	rdtsc
	mov [tsc0], eax
	mov [tsc0 + 4], edx
	mov dl, [bench_op]
	call bench_pass
	jc .out
	rdtsc
	sub eax, [tsc0]
	sbb edx, [tsc0 + 4]
	push eax
	push edx
	call bench_line
	mov si, msg_bdone
	call puts
	pop eax
	call puthex32
	pop eax
	call puthex32
	call crlf
	clc
.out:
	ret

; bench_line: "GUEST: bench round K <what> ".
bench_line:
	mov si, msg_bround
	call puts
	mov al, [round]
	call putc
	mov si, [bench_what]
	call puts
	ret

; bench_pass: DL = 0x42 or 0x43 over [chunks] chunks; ES = BENCH_SEG.
bench_pass:
	mov eax, BENCH_LBA
	mov bp, [chunks]
.chunk:
	push eax
	xor bx, bx
	mov cx, CHUNK
	mov dl, [bench_op]
	call disk_io
	pop eax
	jc .out
	add eax, CHUNK
	dec bp
	jnz .chunk
	clc
.out:
	ret

; rtc_wait: five changes of the RTC's seconds, halted between the BIOS's
; timer ticks (ctr_tick).  It spun on the RTC's ports once: millions of
; exits to Xen under TCG's emulated SVM, and three times a guest in that
; spin was wrecked by Xen's emulation ("MMIO emulation failed ... Real @
; e008:<Xen's own code>", then a triple fault, or a guest running
; through SeaBIOS's int 5 handler; tests/xen/README.md, "A hang seen
; once").
rtc_wait:
	mov cx, 5
.tick:
	call ctr_tick
	loop .tick
	ret

rtc_sec:
	xor al, al
	out 0x70, al
	in al, 0x71
	ret

puthex32:
	push eax
	shr eax, 16
	call puthex16
	pop eax
puthex16:
	push ax
	mov al, ah
	call puthex8
	pop ax
	jmp puthex8

; putn: CX characters from DS:SI.
putn:
	lodsb
	call putc
	loop putn
	ret

crlf:
	mov al, 13
	call putc
	mov al, 10
	call putc
	ret

puthex8:
	push ax
	shr al, 4
	call .nibble
	pop ax
	and al, 0x0f
.nibble:
	and al, 0x0f
	add al, '0'
	cmp al, '9'
	jbe .print
	add al, 'a' - '9' - 1
.print:
	call putc
	ret

%include "counter.inc"
%include "screen.inc"
%include "cdrom.inc"

nic_io:		dw 0
chunks:		dw 0
bench_op:	db 0
round:		db 0
rounds:		db 0
bench_what:	dw 0
tsc0:		dd 0, 0
magic:		db "STUBDMGP"
disk_text:	db "STUBDM-GUEST-WROTE-"
disk_text_len	equ $ - disk_text
nic_text:	db "STUBDM-GUEST-FRAME-"
nic_text_len	equ $ - nic_text
msg_stage2:	db "GUEST: stage 2", 13, 10, 0
msg_noparams:	db "GUEST: no parameter sector", 13, 10, 0
msg_nonce:	db "GUEST: nonce ", 0
msg_mib:	db " bench KiB and rounds ", 0
msg_diskok:	db "GUEST: disk write+read ok", 13, 10, 0
msg_diskwerr:	db "GUEST: disk write FAILED", 13, 10, 0
msg_diskrerr:	db "GUEST: disk read FAILED", 13, 10, 0
msg_diskdiff:	db "GUEST: disk read back differs", 13, 10, 0
msg_nonic:	db "GUEST: nic none (no rtl8139 on bus 0)", 13, 10, 0
msg_nictimeout:	db "GUEST: nic transmit timed out", 13, 10, 0
msg_nicsent:	db "GUEST: nic frame sent from ", 0
msg_bround:	db "GUEST: bench round ", 0
msg_bwrite:	db " write ", 0
msg_bread:	db " read ", 0
msg_bstart:	db "start", 13, 10, 0
msg_bdone:	db "done tsc 0x", 0
msg_bpause:	db "GUEST: bench pause 5 s", 13, 10, 0
msg_berr:	db "GUEST: bench disk error", 13, 10, 0
msg_flushok:	db "GUEST: disk flushed", 13, 10, 0
msg_flusherr:	db "GUEST: disk flush FAILED", 13, 10, 0
msg_flushto:	db "GUEST: disk flush timed out", 13, 10, 0
msg_done:	db "GUEST: done, powering off", 13, 10, 0
msg_nooff:	db "GUEST: still running after ACPI off, halting", 13, 10, 0

	times 512 * (1 + STAGE2_SECTORS) - ($ - $$) db 0
