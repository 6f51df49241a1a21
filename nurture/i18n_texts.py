"""The texts of `nurture.i18n`, by key, in English and Spanish (data only)."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    # layout
    "skip": {"en": "Skip to content", "es": "Ir al contenido"},
    "privacy": {"en": "Privacy policy", "es": "Política de privacidad"},
    "language": {"en": "Language", "es": "Idioma"},
    "lang.en": {"en": "English", "es": "English (inglés)"},
    "lang.es": {"en": "Español (Spanish)", "es": "Español"},
    # subscribe
    "subscribe.title": {"en": "Subscribe", "es": "Suscríbete"},
    "subscribe.intro": {
        "en": "Choose what you would like to receive. Nothing is ticked for you.",
        "es": "Elige lo que quieres recibir. No hay nada marcado de antemano.",
    },
    "subscribe.email": {"en": "Email address", "es": "Correo electrónico"},
    "subscribe.first_name": {"en": "First name (optional)", "es": "Nombre (opcional)"},
    "subscribe.last_name": {"en": "Last name (optional)", "es": "Apellidos (opcional)"},
    "subscribe.purposes": {"en": "What may we email you?", "es": "¿Qué podemos enviarte?"},
    "subscribe.honeypot": {
        "en": "Leave this field empty",
        "es": "Deja este campo vacío",
    },
    "subscribe.button": {"en": "Subscribe", "es": "Suscribirme"},
    "subscribe.help": {
        "en": "We will email you a link to confirm. Nothing else is sent before you confirm.",
        "es": "Te enviaremos un enlace para confirmar. No enviamos nada más hasta que confirmes.",
    },
    "subscribe.error.email": {
        "en": "Enter a valid email address, like name@example.com.",
        "es": "Escribe una dirección de correo válida, como nombre@ejemplo.com.",
    },
    "subscribe.error.purposes": {
        "en": "Tick at least one box.",
        "es": "Marca al menos una casilla.",
    },
    "subscribe.error.field": {
        "en": "Check this field: {problem}",
        "es": "Revisa este campo: {problem}",
    },
    "subscribe.cross_site": {
        "en": "Your sign-up came from another website. Check the details and press "
        "Subscribe to continue.",
        "es": "Tu solicitud llegó desde otro sitio web. Revisa los datos y pulsa "
        "Suscribirme para continuar.",
    },
    "subscribed.title": {"en": "Check your inbox", "es": "Revisa tu correo"},
    "subscribed.body": {
        "en": "If this address can receive our emails, a message with a confirmation link "
        "is on its way. Your subscription starts only when you open it and confirm.",
        "es": "Si esta dirección puede recibir nuestros correos, te llegará un mensaje con "
        "un enlace de confirmación. La suscripción empieza solo cuando lo abras y confirmes.",
    },
    "limited.title": {"en": "Too many attempts", "es": "Demasiados intentos"},
    "limited.body": {
        "en": "Please wait an hour and try again.",
        "es": "Espera una hora y vuelve a intentarlo.",
    },
    # confirm
    "confirm.title": {"en": "Confirm your subscription", "es": "Confirma tu suscripción"},
    "confirm.intro": {"en": "You asked to receive:", "es": "Has pedido recibir:"},
    "confirm.button": {"en": "Confirm", "es": "Confirmar"},
    "confirmed.title": {"en": "You are subscribed", "es": "Ya estás suscrito"},
    "confirmed.body": {
        "en": "Thank you: your subscription is confirmed.",
        "es": "Gracias: tu suscripción está confirmada.",
    },
    "confirmed.none": {
        "en": "There was nothing left to confirm: your choices changed since this link "
        "was sent, or they were confirmed already.",
        "es": "No quedaba nada por confirmar: tus preferencias cambiaron después de enviar "
        "este enlace o ya estaban confirmadas.",
    },
    "manage": {"en": "Manage your email preferences", "es": "Gestionar tus preferencias"},
    # unsubscribe
    "unsub.title": {"en": "Unsubscribe", "es": "Darse de baja"},
    "unsub.this": {
        "en": "Stop the emails about “{title}”.",
        "es": "Dejar de recibir los correos sobre «{title}».",
    },
    "unsub.this.button": {
        "en": "Unsubscribe from “{title}”",
        "es": "Darme de baja de «{title}»",
    },
    "unsub.all": {
        "en": "Or stop all marketing email from {brand}, including anything we start "
        "sending later. You can change your mind in your preferences.",
        "es": "O deja de recibir todo el correo comercial de {brand}, también lo que "
        "empecemos a enviar más adelante. Puedes cambiar de opinión en tus preferencias.",
    },
    "unsub.all.button": {"en": "Stop all marketing", "es": "No quiero ningún correo comercial"},
    "unsubbed.title": {"en": "You are unsubscribed", "es": "Te has dado de baja"},
    "unsubbed.this": {
        "en": "You will not receive emails about “{title}” any more. A message already on "
        "its way is stopped.",
        "es": "Ya no recibirás correos sobre «{title}». Si había alguno en camino, se ha detenido.",
    },
    "unsubbed.all": {
        "en": "You will receive no marketing email from {brand}. A message already on its "
        "way is stopped.",
        "es": "No recibirás ningún correo comercial de {brand}. Si había alguno en camino, "
        "se ha detenido.",
    },
    # preferences
    "prefs.title": {"en": "Your email preferences", "es": "Tus preferencias de correo"},
    "prefs.topics": {"en": "What we may email you", "es": "Qué podemos enviarte"},
    "prefs.pause": {"en": "Pause all email", "es": "Pausar todos los correos"},
    "prefs.pause.none": {"en": "No pause", "es": "Sin pausa"},
    "prefs.pause.weeks": {"en": "{n} weeks", "es": "{n} semanas"},
    "prefs.pause.week": {"en": "1 week", "es": "1 semana"},
    "prefs.pause.keep": {
        "en": "Keep the current pause (until {date})",
        "es": "Mantener la pausa actual (hasta el {date})",
    },
    "prefs.rights": {"en": "Your rights", "es": "Tus derechos"},
    "prefs.restrict": {
        "en": "Restrict processing (GDPR art. 18): keep my data but do nothing with it: "
        "no email, no scoring.",
        "es": "Limitar el tratamiento (art. 18 RGPD): conservad mis datos pero no hagáis "
        "nada con ellos: ni correos ni puntuación.",
    },
    "prefs.profiling": {
        "en": "Object to profiling: do not score me or rank my interest.",
        "es": "Me opongo a la elaboración de perfiles: no me puntuéis ni clasifiquéis mi interés.",
    },
    "prefs.save": {"en": "Save preferences", "es": "Guardar preferencias"},
    "prefs.saved": {"en": "Your preferences are saved.", "es": "Tus preferencias se han guardado."},
    "prefs.objected": {
        "en": "You asked us to stop all marketing. Ticking a topic again lifts that "
        "objection for what you tick.",
        "es": "Nos pediste que no te enviáramos correo comercial. Si vuelves a marcar un "
        "tema, esa oposición deja de aplicarse a lo que marques.",
    },
    "prefs.blocked": {
        "en": "We cannot email this address at the moment ({reason}).",
        "es": "Ahora mismo no podemos enviar correos a esta dirección ({reason}).",
    },
    "prefs.my_data": {
        "en": "See, correct, download or erase your data",
        "es": "Ver, corregir, descargar o borrar tus datos",
    },
    # my data
    "data.title": {"en": "Your data", "es": "Tus datos"},
    "data.intro": {
        "en": "Everything we hold about you. You can correct it, download it or erase it.",
        "es": "Todo lo que guardamos sobre ti. Puedes corregirlo, descargarlo o borrarlo.",
    },
    "data.profile": {"en": "Profile", "es": "Perfil"},
    "data.correct": {"en": "Correct your details", "es": "Corregir tus datos"},
    "data.correct.button": {"en": "Save corrections", "es": "Guardar correcciones"},
    "data.corrected": {"en": "Your details are corrected.", "es": "Tus datos se han corregido."},
    "data.email": {"en": "Change your email address", "es": "Cambiar tu correo electrónico"},
    "data.email.new": {"en": "New email address", "es": "Nueva dirección de correo"},
    "data.email.button": {"en": "Send a confirmation", "es": "Enviar una confirmación"},
    "data.email.sent": {
        "en": "If the new address can receive our emails, a confirmation link is on its "
        "way to it. Nothing changes until you open it.",
        "es": "Si la nueva dirección puede recibir nuestros correos, le llegará un enlace "
        "de confirmación. Nada cambia hasta que lo abras.",
    },
    "data.consents": {"en": "Consent history", "es": "Historial de consentimientos"},
    "data.events": {"en": "Activity", "es": "Actividad"},
    "data.messages": {"en": "Emails", "es": "Correos"},
    "data.score": {"en": "Score and how it was computed", "es": "Puntuación y cómo se calculó"},
    "data.owner": {"en": "Your contact person", "es": "Tu persona de contacto"},
    "data.owner.none": {"en": "Nobody yet", "es": "Nadie todavía"},
    "data.download": {"en": "Download your data", "es": "Descargar tus datos"},
    "data.download.json": {"en": "Download as JSON", "es": "Descargar en JSON"},
    "data.download.csv": {"en": "Download as CSV", "es": "Descargar en CSV"},
    "data.erase": {"en": "Erase your data", "es": "Borrar tus datos"},
    "data.none": {"en": "Nothing recorded.", "es": "Nada registrado."},
    "data.more": {
        "en": "Showing the latest {shown} of {total}; the download has them all.",
        "es": "Se muestran los {shown} más recientes de {total}; la descarga los incluye todos.",
    },
    "col.when": {"en": "When", "es": "Cuándo"},
    "col.purpose": {"en": "Purpose", "es": "Finalidad"},
    "col.action": {"en": "Action", "es": "Acción"},
    "col.source": {"en": "Source", "es": "Origen"},
    "col.wording": {"en": "Wording shown", "es": "Texto mostrado"},
    "col.type": {"en": "What", "es": "Qué"},
    "col.campaign": {"en": "Campaign", "es": "Campaña"},
    "col.status": {"en": "Status", "es": "Estado"},
    "col.field": {"en": "Field", "es": "Campo"},
    "col.value": {"en": "Value", "es": "Valor"},
    "score.total": {"en": "Score", "es": "Puntuación"},
    "score.fit": {"en": "Profile fit", "es": "Encaje del perfil"},
    "score.engagement": {"en": "Engagement", "es": "Interacción"},
    "score.temperature": {"en": "Temperature", "es": "Temperatura"},
    "score.computed": {
        "en": "How it was computed on {at} UTC, rule by rule:",
        "es": "Cómo se calculó el {at} UTC, regla a regla:",
    },
    "score.none": {
        "en": "No score has been computed for you yet.",
        "es": "Todavía no se ha calculado tu puntuación.",
    },
    "score.decay.help": {
        "en": "Points from older activity weigh less as time passes: “counts for” is what "
        "each still adds to your score.",
        "es": "Los puntos de la actividad antigua pesan menos con el tiempo: «cuenta» es lo "
        "que cada uno suma todavía a tu puntuación.",
    },
    "score.kind.fit": {"en": "profile matches ({detail})", "es": "el perfil encaja ({detail})"},
    "score.kind.disqualifier": {"en": "disqualified: {detail}", "es": "descalificado: {detail}"},
    "score.kind.clamp": {
        "en": "the sum, {total}, is kept within 0–100",
        "es": "la suma, {total}, se mantiene entre 0 y 100",
    },
    "score.decayed": {"en": "older activity weighs less", "es": "la actividad antigua pesa menos"},
    "score.why.machine": {
        "en": "{kind}: not a person, not counted",
        "es": "{kind}: no es una persona, no cuenta",
    },
    "score.why.once": {
        "en": "counts only once: already counted on {date}",
        "es": "solo cuenta una vez: ya contó el {date}",
    },
    "score.why.cap": {
        "en": "limit of {n} a day (UTC) reached",
        "es": "alcanzado el límite de {n} al día (UTC)",
    },
    "col.rule": {"en": "Rule", "es": "Regla"},
    "col.counted": {"en": "What counted", "es": "Qué contó"},
    "col.points": {"en": "Points", "es": "Puntos"},
    "col.counts": {"en": "Counts for", "es": "Cuenta"},
    "col.note": {"en": "Note", "es": "Nota"},
    "score.objected": {
        "en": "You objected to profiling: your score is not updated.",
        "es": "Te opusiste a la elaboración de perfiles: tu puntuación no se actualiza.",
    },
    # erase
    "erase.title": {"en": "Erase your data", "es": "Borrar tus datos"},
    "erase.body": {
        "en": "This deletes your profile, your consent history, your activity and your "
        "place in every campaign. It cannot be undone. We keep only a one-way fingerprint "
        "of your address so that we never email it again.",
        "es": "Esto borra tu perfil, tu historial de consentimientos, tu actividad y tu "
        "participación en todas las campañas. No se puede deshacer. Solo conservamos una "
        "huella irreversible de tu dirección para no volver a escribirte nunca.",
    },
    "erase.confirm": {
        "en": "I understand that this cannot be undone",
        "es": "Entiendo que no se puede deshacer",
    },
    "erase.button": {"en": "Erase my data", "es": "Borrar mis datos"},
    "erase.error": {
        "en": "Tick the box to confirm.",
        "es": "Marca la casilla para confirmar.",
    },
    "erased.title": {"en": "Your data is erased", "es": "Tus datos se han borrado"},
    "erased.body": {
        "en": "We hold nothing about you any more, and we will never email this address again.",
        "es": "Ya no guardamos nada sobre ti y no volveremos a escribir a esta dirección.",
    },
    # fresh link
    "fresh.title": {"en": "Get a fresh link", "es": "Recibir un enlace nuevo"},
    "fresh.intro": {
        "en": "Enter your email address and we will send you a new link to your "
        "preferences and your data.",
        "es": "Escribe tu dirección de correo y te enviaremos un enlace nuevo a tus "
        "preferencias y a tus datos.",
    },
    "fresh.button": {"en": "Send me a link", "es": "Enviarme un enlace"},
    "fresh.sent": {
        "en": "If we hold this address and may email it, a new link is on its way.",
        "es": "Si tenemos esta dirección y podemos escribirle, te llegará un enlace nuevo.",
    },
    # address change
    "address.title": {"en": "Confirm your new email address", "es": "Confirma tu nueva dirección"},
    "address.body": {
        "en": "Press the button to use this address for our emails from now on.",
        "es": "Pulsa el botón para usar esta dirección en nuestros correos a partir de ahora.",
    },
    "address.button": {"en": "Confirm new address", "es": "Confirmar la nueva dirección"},
    "address.done": {"en": "Your email address is changed.", "es": "Tu dirección ha cambiado."},
    "address.failed": {
        "en": "This address cannot be used. Ask for a new change from your data page.",
        "es": "No se puede usar esta dirección. Pide un cambio nuevo desde la página de tus datos.",
    },
    # lead fields
    "field.email": {"en": "Email", "es": "Correo electrónico"},
    "field.first_name": {"en": "First name", "es": "Nombre"},
    "field.last_name": {"en": "Last name", "es": "Apellidos"},
    "field.phone": {"en": "Phone", "es": "Teléfono"},
    "field.company": {"en": "Company", "es": "Empresa"},
    "field.job_title": {"en": "Job title", "es": "Cargo"},
    "field.industry": {"en": "Industry", "es": "Sector"},
    "field.company_size": {"en": "Company size", "es": "Tamaño de la empresa"},
    "field.website": {"en": "Website", "es": "Sitio web"},
    "field.country": {"en": "Country (two letters)", "es": "País (dos letras)"},
    "field.locale": {"en": "Language", "es": "Idioma"},
    "field.timezone": {"en": "Time zone", "es": "Zona horaria"},
    "field.source": {"en": "Where you came from", "es": "Origen"},
    "field.tags": {"en": "Tags", "es": "Etiquetas"},
    "field.attributes": {"en": "Other details", "es": "Otros datos"},
    "field.lifecycle_stage": {"en": "Stage", "es": "Etapa"},
    "field.created_at": {"en": "Since", "es": "Desde"},
    # errors
    "invalid.title": {"en": "This link does not work", "es": "Este enlace no funciona"},
    "invalid.body": {
        "en": "It may have expired or been copied incompletely. The links in our emails "
        "are valid for a limited time.",
        "es": "Puede que haya caducado o que se haya copiado incompleto. Los enlaces de "
        "nuestros correos son válidos durante un tiempo limitado.",
    },
    "invalid.fresh": {"en": "Send me a fresh link", "es": "Enviarme un enlace nuevo"},
    "csrf.title": {"en": "This form has expired", "es": "Este formulario ha caducado"},
    "csrf.body": {
        "en": "Please go back, reload the page and try again.",
        "es": "Vuelve atrás, recarga la página e inténtalo de nuevo.",
    },
    # transactional mails
    "mail.hello": {"en": "Hello,", "es": "Hola:"},
    "mail.confirm.subject": {
        "en": "Please confirm your subscription to {brand}",
        "es": "Confirma tu suscripción a {brand}",
    },
    "mail.confirm.body": {
        "en": "Someone, hopefully you, asked to receive the following from {brand}:",
        "es": "Alguien, esperamos que tú, ha pedido recibir lo siguiente de {brand}:",
    },
    "mail.confirm.button": {"en": "Confirm my subscription", "es": "Confirmar mi suscripción"},
    "mail.confirm.ignore": {
        "en": "If it was not you, ignore this email: nothing will be sent, and the request "
        "expires in {days} days.",
        "es": "Si no has sido tú, ignora este correo: no te enviaremos nada y la solicitud "
        "caduca en {days} días.",
    },
    "mail.fresh.subject": {
        "en": "Your links to your {brand} preferences and data",
        "es": "Tus enlaces a tus preferencias y datos en {brand}",
    },
    "mail.fresh.body": {
        "en": "Here are the links you asked for. They are valid for 30 days.",
        "es": "Aquí tienes los enlaces que pediste. Son válidos durante 30 días.",
    },
    "mail.fresh.ignore": {
        "en": "If you did not ask for them, you can ignore this email.",
        "es": "Si no los has pedido, puedes ignorar este correo.",
    },
    "mail.address.subject": {
        "en": "Confirm your new email address for {brand}",
        "es": "Confirma tu nueva dirección de correo para {brand}",
    },
    "mail.address.body": {
        "en": "Someone, hopefully you, asked to receive the emails of {brand} at this "
        "address from now on.",
        "es": "Alguien, esperamos que tú, ha pedido recibir a partir de ahora los correos "
        "de {brand} en esta dirección.",
    },
    "mail.address.button": {"en": "Confirm this address", "es": "Confirmar esta dirección"},
    "mail.address.ignore": {
        "en": "If it was not you, ignore this email: nothing changes.",
        "es": "Si no has sido tú, ignora este correo: no cambiará nada.",
    },
    "mail.automatic": {
        "en": "This is an automatic message sent because of a request made on our website.",
        "es": "Este es un mensaje automático enviado por una solicitud hecha en nuestra web.",
    },
    # GDPR art. 14 notice to business contacts imported under legitimate interest
    "mail.art14.subject": {
        "en": "How {brand} got your contact details",
        "es": "Cómo ha obtenido {brand} tus datos de contacto",
    },
    "mail.art14.body": {
        "en": "{brand} has added your work contact details to its business contacts, to "
        "send you, now and then, emails about: {purpose}.",
        "es": "{brand} ha añadido tus datos de contacto profesionales a sus contactos de "
        "empresa para enviarte, de vez en cuando, correos sobre: {purpose}.",
    },
    "mail.art14.origin": {
        "en": "Where they came from: {origin}.",
        "es": "De dónde proceden: {origin}.",
    },
    "mail.art14.data": {
        "en": "What we hold: your name, email address, company and job title, as that "
        "source gave them, and whether you open and read our emails if you allow it.",
        "es": "Qué datos tenemos: tu nombre, dirección de correo, empresa y cargo, tal como "
        "los facilitó esa fuente, y si abres y lees nuestros correos si lo permites.",
    },
    "mail.art14.basis": {
        "en": "Why: our legitimate interest in offering our services to businesses (GDPR "
        "art. 6(1)(f)). We keep your details while we are in touch and delete them after a "
        "long period without any activity.",
        "es": "Por qué: nuestro interés legítimo en ofrecer nuestros servicios a empresas "
        "(art. 6.1.f del RGPD). Conservamos tus datos mientras estemos en contacto y los "
        "borramos tras un largo periodo sin actividad.",
    },
    "mail.art14.object": {
        "en": "You can object at any time and we stop at once: one click, no login.",
        "es": "Puedes oponerte cuando quieras y paramos en el acto: un clic, sin registrarte.",
    },
    "mail.art14.button": {
        "en": "Do not email me",
        "es": "No quiero recibir correos",
    },
    "mail.art14.rights": {
        "en": "You can also see, correct, export or erase your data, and complain to your "
        "data protection authority.",
        "es": "También puedes ver, corregir, exportar o borrar tus datos, y reclamar ante tu "
        "autoridad de protección de datos.",
    },
    "mail.art14.footer": {
        "en": "We send this notice once: the law asks us to tell you when we receive your "
        "details from someone other than you.",
        "es": "Te enviamos este aviso una sola vez: la ley nos pide informarte cuando "
        "recibimos tus datos de alguien que no eres tú.",
    },
}
