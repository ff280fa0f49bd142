; A 512-byte boot sector for the xl stub scenario (cases/50-xl-stub.sh):
; prints a line on COM1 and writes a marker to the disk's second sector
; (int 13h), so that both can be checked from dom0.  Built with nasm.
bits 16
org 0x7c00
start:
	xor ax, ax
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov sp, 0x7c00
	mov [drive], dl
	mov si, msg
.next:	lodsb
	test al, al
	jz .disk
	mov ah, al
	mov dx, 0x3fd
.wait:	in al, dx
	test al, 0x20
	jz .wait
	mov dx, 0x3f8
	mov al, ah
	out dx, al
	jmp .next
.disk:	mov ax, 0x0301		; write 1 sector
	mov cx, 0x0002		; cylinder 0, sector 2 (LBA 1)
	xor dh, dh
	mov dl, [drive]
	mov bx, mark
	int 0x13
.halt:	hlt
	jmp .halt
drive:	db 0
msg:	db "XLSTUB: guest boot sector runs", 13, 10, 0
	times 256 - ($ - $$) db 0
mark:	db "XLSTUB-DISK-WRITTEN", 0
	times 510 - ($ - $$) db 0
	dw 0xaa55
