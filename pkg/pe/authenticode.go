package pe

import (
	"bytes"
	"crypto/x509"
	"crypto/x509/pkix"
	"debug/pe"
	"encoding/asn1"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/big"
)

const (
	winCertTypePKCSSignedData = 0x0002
)

var (
	oidSignedData = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidCommonName = asn1.ObjectIdentifier{2, 5, 4, 3}
)

// readCertTable reads the WIN_CERTIFICATE entries at the security data
// directory (its VirtualAddress is a file offset, not an RVA) and takes the
// signer of the first PKCS#7 SignedData.
func (info *Info) readCertTable(r io.ReaderAt, size int64, d pe.DataDirectory) error {
	return info.readCertificates(r, size, d.VirtualAddress, d.Size)
}

func (info *Info) readCertificates(r io.ReaderAt, size int64, off, length uint32) error {
	start, n := int64(off), int64(length)
	if start+n > size || n > maxCertTable {
		return fmt.Errorf("at offset 0x%x: %d bytes run past the end of the %d-byte file", start, n, size)
	}
	buf := make([]byte, n)
	if _, err := r.ReadAt(buf, start); err != nil {
		return fmt.Errorf("at offset 0x%x: %v", start, err)
	}
	for pos := 0; pos+8 <= len(buf); {
		l := int(binary.LittleEndian.Uint32(buf[pos:]))
		typ := binary.LittleEndian.Uint16(buf[pos+6:])
		if l < 8 || pos+l > len(buf) {
			return fmt.Errorf("WIN_CERTIFICATE at offset 0x%x: length %d", start+int64(pos), l)
		}
		if typ == winCertTypePKCSSignedData {
			info.Signed = true
			subject, issuer, err := SignerOf(buf[pos+8 : pos+l])
			if err != nil {
				return fmt.Errorf("PKCS#7 at offset 0x%x: %v", start+int64(pos)+8, err)
			}
			info.SignerSubject = subject.String()
			info.SignerIssuer = issuer.String()
			info.Signer = subject.CommonName
			if info.Signer == "" {
				info.Signer = info.SignerSubject
			}
			return nil
		}
		pos += (l + 7) &^ 7
	}
	return nil
}

type contentInfo struct {
	ContentType asn1.ObjectIdentifier
	Content     asn1.RawValue `asn1:"explicit,optional,tag:0"`
}

type signedData struct {
	Version          int
	DigestAlgorithms asn1.RawValue
	ContentInfo      asn1.RawValue
	Certificates     asn1.RawValue `asn1:"optional,tag:0"`
	CRLs             asn1.RawValue `asn1:"optional,tag:1"`
	SignerInfos      asn1.RawValue
}

type issuerAndSerial struct {
	Issuer asn1.RawValue
	Serial *big.Int
}

type signerInfo struct {
	Version int
	Sid     asn1.RawValue
}

// minimal certificate layout, for certificates crypto/x509 refuses.
type rawCert struct {
	TBS struct {
		Raw      asn1.RawContent
		Version  int `asn1:"optional,explicit,default:0,tag:0"`
		Serial   *big.Int
		SigAlg   asn1.RawValue
		Issuer   asn1.RawValue
		Validity asn1.RawValue
		Subject  asn1.RawValue
	}
}

type cert struct {
	issuerRaw []byte
	serial    *big.Int
	subject   pkix.Name
	issuer    pkix.Name
	isCA      bool
}

// SignerOf returns the subject and issuer of the certificate that signed a
// DER PKCS#7 SignedData (the one named by the first SignerInfo's issuer and
// serial number; the first non-CA certificate when none matches).
func SignerOf(der []byte) (subject, issuer pkix.Name, err error) {
	var ci contentInfo
	if _, err = asn1.Unmarshal(der, &ci); err != nil {
		return subject, issuer, fmt.Errorf("ContentInfo: %v", err)
	}
	if !ci.ContentType.Equal(oidSignedData) {
		return subject, issuer, fmt.Errorf("content type %v is not SignedData", ci.ContentType)
	}
	var sd signedData
	if _, err = asn1.Unmarshal(ci.Content.Bytes, &sd); err != nil {
		return subject, issuer, fmt.Errorf("SignedData: %v", err)
	}
	var certs []cert
	for rest := sd.Certificates.Bytes; len(rest) > 0; {
		var raw asn1.RawValue
		rest, err = asn1.Unmarshal(rest, &raw)
		if err != nil {
			return subject, issuer, fmt.Errorf("certificate %d: %v", len(certs), err)
		}
		c, err := parseCert(raw.FullBytes)
		if err != nil {
			continue // e.g. an attribute certificate: not the signer
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return subject, issuer, errors.New("no certificate in SignedData")
	}
	var si signerInfo
	var sids []issuerAndSerial
	for rest := sd.SignerInfos.Bytes; len(rest) > 0; {
		if rest, err = asn1.Unmarshal(rest, &si); err != nil {
			break
		}
		var ias issuerAndSerial
		if _, err := asn1.Unmarshal(si.Sid.FullBytes, &ias); err == nil && ias.Serial != nil {
			sids = append(sids, ias)
		}
	}
	for _, id := range sids {
		for _, c := range certs {
			if c.serial != nil && c.serial.Cmp(id.Serial) == 0 && bytes.Equal(c.issuerRaw, id.Issuer.FullBytes) {
				return c.subject, c.issuer, nil
			}
		}
	}
	for _, c := range certs {
		if !c.isCA {
			return c.subject, c.issuer, nil
		}
	}
	return certs[0].subject, certs[0].issuer, nil
}

func parseCert(der []byte) (cert, error) {
	if x, err := x509.ParseCertificate(der); err == nil {
		return cert{issuerRaw: x.RawIssuer, serial: x.SerialNumber, subject: x.Subject, issuer: x.Issuer, isCA: x.IsCA}, nil
	}
	var rc rawCert
	if _, err := asn1.Unmarshal(der, &rc); err != nil {
		return cert{}, err
	}
	var subj, iss pkix.RDNSequence
	if _, err := asn1.Unmarshal(rc.TBS.Subject.FullBytes, &subj); err != nil {
		return cert{}, err
	}
	asn1.Unmarshal(rc.TBS.Issuer.FullBytes, &iss)
	var c cert
	c.issuerRaw, c.serial = rc.TBS.Issuer.FullBytes, rc.TBS.Serial
	c.subject.FillFromRDNSequence(&subj)
	c.issuer.FillFromRDNSequence(&iss)
	return c, nil
}
