// Bouncy Castle's S/MIME mail API (bcmail + JavaMail) driven by the interop tests.
//
// One JVM run executes a batch of jobs, one per line of the job file, fields separated by tabs:
//   sign        OUT CERT KEY CHAIN FROM TO detached|opaque
//   encrypt     OUT RECIPIENT_CERT FROM TO
//   signencrypt OUT CERT KEY CHAIN RECIPIENT_CERT FROM TO
//   verify      IN ROOT
//   decrypt     IN CERT KEY ROOT
// Certificates and keys are PEM files (keys unencrypted PKCS#8).  The algorithms are the ones
// Bouncy Castle's own S/MIME examples use: SHA-256 with RSA or ECDSA, AES-128-CBC content
// encryption, RSA PKCS#1 v1.5 key transport, ECDH (SHA-256 KDF) with AES-128 key wrap.
// Each job prints one line:  RESULT <tab> IN/OUT <tab> OK|FAIL <tab> details.
// "verify" checks the signature with the certificate in the message and builds a PKIX path to
// ROOT (revocation off); "decrypt" decrypts with KEY and, when the content is signed, verifies it.

import java.io.*;
import java.nio.file.*;
import java.security.*;
import java.security.cert.*;
import java.security.spec.ECGenParameterSpec;
import java.util.*;

import javax.mail.*;
import javax.mail.internet.*;

import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.cms.AttributeTable;
import org.bouncycastle.asn1.smime.SMIMECapabilitiesAttribute;
import org.bouncycastle.asn1.smime.SMIMECapability;
import org.bouncycastle.asn1.smime.SMIMECapabilityVector;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cms.*;
import org.bouncycastle.cms.jcajce.*;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.mail.smime.*;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.util.Store;

public class BcMail {
    static final Session SESSION = Session.getDefaultInstance(new Properties());

    public static void main(String[] args) throws Exception {
        Security.addProvider(new BouncyCastleProvider());
        for (String line : Files.readAllLines(Paths.get(args[0]))) {
            if (line.isBlank()) continue;
            String[] f = line.split("\t");
            String result;
            try {
                result = "OK\t" + run(f);
            } catch (Exception e) {
                result = "FAIL\t" + e.getClass().getSimpleName() + ": " + e.getMessage();
            }
            System.out.println("RESULT\t" + f[1] + "\t" + result.replace('\n', ' '));
        }
    }

    static String run(String[] f) throws Exception {
        switch (f[0]) {
            case "sign": {
                MimeMessage msg = message(f[5], f[6], "Signed by Bouncy Castle");
                signInto(msg, text("Signed by Bouncy Castle.\r\n"), f[2], f[3], f[4], f[7].equals("opaque"));
                write(msg, f[1]);
                return "written";
            }
            case "encrypt": {
                MimeMessage msg = message(f[3], f[4], "Encrypted by Bouncy Castle");
                encryptInto(msg, text("Encrypted by Bouncy Castle.\r\n"), f[2]);
                write(msg, f[1]);
                return "written";
            }
            case "signencrypt": {
                MimeMessage msg = message(f[6], f[7], "Signed and encrypted by Bouncy Castle");
                MimeMessage inner = new MimeMessage(SESSION);
                signInto(inner, text("Signed and encrypted by Bouncy Castle.\r\n"), f[2], f[3], f[4], false);
                MimeBodyPart signed = new MimeBodyPart();
                signed.setContent((Multipart) inner.getContent());
                signed.setHeader("Content-Type", inner.getContentType());
                encryptInto(msg, signed, f[5]);
                write(msg, f[1]);
                return "written";
            }
            case "verify":
                return verify(read(f[1]), cert(f[2]));
            case "decrypt":
                return decrypt(read(f[1]), cert(f[2]), key(f[3]), cert(f[4]));
            default:
                throw new IllegalArgumentException("unknown job " + f[0]);
        }
    }

    // -- making mail ---------------------------------------------------------------------------
    static MimeMessage message(String from, String to, String subject) throws Exception {
        MimeMessage msg = new MimeMessage(SESSION);
        msg.setFrom(new InternetAddress(from));
        msg.setRecipient(Message.RecipientType.TO, new InternetAddress(to));
        msg.setSubject(subject);
        msg.setSentDate(new Date());
        return msg;
    }

    static MimeBodyPart text(String body) throws Exception {
        MimeBodyPart part = new MimeBodyPart();
        part.setText(body, "utf-8");
        part.setHeader("Content-Transfer-Encoding", "7bit");
        return part;
    }

    static void signInto(MimeMessage msg, MimeBodyPart content, String certPath, String keyPath,
                         String chainPath, boolean opaque) throws Exception {
        X509Certificate signer = cert(certPath);
        PrivateKey key = key(keyPath);
        String algorithm = key.getAlgorithm().startsWith("EC") ? "SHA256withECDSA" : "SHA256withRSA";
        SMIMECapabilityVector caps = new SMIMECapabilityVector();
        caps.addCapability(SMIMECapability.aES256_CBC);
        caps.addCapability(SMIMECapability.aES128_CBC);
        ASN1EncodableVector attrs = new ASN1EncodableVector();
        attrs.add(new SMIMECapabilitiesAttribute(caps));
        SMIMESignedGenerator gen = new SMIMESignedGenerator();
        gen.addSignerInfoGenerator(new JcaSimpleSignerInfoGeneratorBuilder().setProvider("BC")
                .setSignedAttributeGenerator(new AttributeTable(attrs)).build(algorithm, key, signer));
        gen.addCertificates(new JcaCertStore(List.of(signer, cert(chainPath))));
        if (opaque) {
            MimeBodyPart p7m = gen.generateEncapsulated(content);
            msg.setContent(p7m.getContent(), p7m.getContentType());
            copyHeaders(p7m, msg);
        } else {
            MimeMultipart mm = gen.generate(content);
            msg.setContent(mm, mm.getContentType());
        }
        msg.saveChanges();
    }

    static void encryptInto(MimeMessage msg, MimeBodyPart content, String recipientPath) throws Exception {
        X509Certificate recipient = cert(recipientPath);
        SMIMEEnvelopedGenerator gen = new SMIMEEnvelopedGenerator();
        if (recipient.getPublicKey().getAlgorithm().startsWith("EC")) {
            KeyPairGenerator kpg = KeyPairGenerator.getInstance("EC", "BC");
            String curve = ((java.security.interfaces.ECPublicKey) recipient.getPublicKey()).getParams()
                    .getCurve().getField().getFieldSize() > 256 ? "secp384r1" : "secp256r1";
            kpg.initialize(new ECGenParameterSpec(curve));
            KeyPair ephemeral = kpg.generateKeyPair();
            gen.addRecipientInfoGenerator(new JceKeyAgreeRecipientInfoGenerator(
                    CMSAlgorithm.ECDH_SHA256KDF, ephemeral.getPrivate(), ephemeral.getPublic(),
                    CMSAlgorithm.AES128_WRAP).addRecipient(recipient).setProvider("BC"));
        } else {
            gen.addRecipientInfoGenerator(new JceKeyTransRecipientInfoGenerator(recipient).setProvider("BC"));
        }
        MimeBodyPart p7m = gen.generate(content,
                new JceCMSContentEncryptorBuilder(CMSAlgorithm.AES128_CBC).setProvider("BC").build());
        msg.setContent(p7m.getContent(), p7m.getContentType());
        copyHeaders(p7m, msg);
        msg.saveChanges();
    }

    static void copyHeaders(MimeBodyPart from, MimeMessage to) throws Exception {
        for (String name : new String[] {"Content-Type", "Content-Transfer-Encoding", "Content-Disposition"}) {
            String[] values = from.getHeader(name);
            if (values != null) to.setHeader(name, values[0]);
        }
    }

    static void write(MimeMessage msg, String path) throws Exception {
        try (OutputStream out = new FileOutputStream(path)) {
            msg.writeTo(out);
        }
    }

    // -- reading mail --------------------------------------------------------------------------
    static MimeMessage read(String path) throws Exception {
        try (InputStream in = new FileInputStream(path)) {
            return new MimeMessage(SESSION, in);
        }
    }

    static String verify(MimePart part, X509Certificate root) throws Exception {
        SMIMESigned signed = part.isMimeType("multipart/signed")
                ? new SMIMESigned((MimeMultipart) part.getContent())
                : new SMIMESigned(part);
        Store<X509CertificateHolder> certs = signed.getCertificates();
        List<String> out = new ArrayList<>();
        for (SignerInformation signer : signed.getSignerInfos().getSigners()) {
            Collection<X509CertificateHolder> found = certs.getMatches(signer.getSID());
            if (found.isEmpty()) throw new IllegalStateException("signer certificate not in the message");
            X509Certificate cert = new JcaX509CertificateConverter().setProvider("BC")
                    .getCertificate(found.iterator().next());
            if (!signer.verify(new JcaSimpleSignerInfoVerifierBuilder().setProvider("BC").build(cert))) {
                throw new IllegalStateException("signature does not verify");
            }
            trusted(cert, certs, root);
            out.add("signer=" + cert.getSubjectX500Principal().getName() + " trusted=true");
        }
        MimeBodyPart content = signed.getContent();
        return String.join(",", out) + " content=" + new String(
                content.getInputStream().readAllBytes(), "UTF-8").strip().replace("\r\n", " ");
    }

    static void trusted(X509Certificate cert, Store<X509CertificateHolder> certs, X509Certificate root) throws Exception {
        JcaX509CertificateConverter conv = new JcaX509CertificateConverter().setProvider("BC");
        List<X509Certificate> pool = new ArrayList<>();
        for (X509CertificateHolder h : certs.getMatches(null)) pool.add(conv.getCertificate(h));
        X509CertSelector target = new X509CertSelector();
        target.setCertificate(cert);
        PKIXBuilderParameters params = new PKIXBuilderParameters(Set.of(new TrustAnchor(root, null)), target);
        params.setRevocationEnabled(false);
        params.addCertStore(CertStore.getInstance("Collection", new CollectionCertStoreParameters(pool), "BC"));
        CertPathBuilder.getInstance("PKIX", "BC").build(params);
    }

    static String decrypt(MimeMessage msg, X509Certificate cert, PrivateKey key, X509Certificate root) throws Exception {
        SMIMEEnveloped env = new SMIMEEnveloped(msg);
        RecipientInformation mine = null;
        for (RecipientInformation r : env.getRecipientInfos().getRecipients()) {
            if (r.getRID().match(new X509CertificateHolder(cert.getEncoded()))) mine = r;
        }
        if (mine == null) throw new IllegalStateException("no RecipientInfo for our certificate");
        Recipient recipient = mine instanceof KeyAgreeRecipientInformation
                ? new JceKeyAgreeEnvelopedRecipient(key).setProvider("BC")
                : new JceKeyTransEnvelopedRecipient(key).setProvider("BC");
        MimeBodyPart inner = SMIMEUtil.toMimeBodyPart(mine.getContent(recipient));
        String alg = env.getEncryptionAlgOID();
        if (inner.isMimeType("multipart/signed") || inner.isMimeType("application/pkcs7-mime")) {
            return "cipher=" + alg + " " + verify(inner, root);
        }
        return "cipher=" + alg + " content=" + new String(
                inner.getInputStream().readAllBytes(), "UTF-8").strip().replace("\r\n", " ");
    }

    // -- PEM files -----------------------------------------------------------------------------
    static X509Certificate cert(String path) throws Exception {
        try (PEMParser p = new PEMParser(new FileReader(path))) {
            return new JcaX509CertificateConverter().setProvider("BC")
                    .getCertificate((X509CertificateHolder) p.readObject());
        }
    }

    static PrivateKey key(String path) throws Exception {
        try (PEMParser p = new PEMParser(new FileReader(path))) {
            return new JcaPEMKeyConverter().setProvider("BC").getPrivateKey((PrivateKeyInfo) p.readObject());
        }
    }
}
