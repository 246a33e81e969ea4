import type { Catalogue } from './en.js';

// The fixed parts of the letter in Russian, for the Russian authorities of the urgent actions.

export const ru: Catalogue = {
  locale: 'ru-RU',
  // A no-break space, as Russian groups digits, which also keeps a number on one line.
  digitGroup: '\u00a0',

  headerLetter: 'письмо',
  headerSignatories: 'подписи',
  headerPage: 'стр. {page} из {pages}',
  headerPart: 'часть {part} из {parts}',
  headerNumbers: '№ {first}–{last} из {total}',

  senderPhone: 'Тел. {phone}',
  senderEmail: 'Эл. почта {email}',
  senderContact: 'Контактное лицо: {contact}',
  recipientFax: 'Факс: {numbers}',
  recipientEmail: 'Эл. почта: {addresses}',
  reference: 'Исх. № {reference}',
  partOf: 'Часть {part} из {parts}. Подписи № {first}–{last} из {total}.',
  pagesOne: 'В этом документе 1 страница.',
  pagesMany: 'В этом документе страниц: {pages}, включая эту.',
  resentFax: 'ПОВТОРНО — передача этого факса была прервана, он отправлен заново целиком.',
  resentPart: 'ПОВТОРНО — передача этой части была прервана, она отправлена заново целиком.',
  closing: 'С уважением,',
  noSignatories: 'Это письмо пока никто не подписал.',
  signed: {
    one: 'Это письмо подписал {count} сторонник {org}; подписи приведены на следующих страницах.',
    few: 'Это письмо подписали {count} сторонника {org}; подписи приведены на следующих страницах.',
    many: 'Это письмо подписали {count} сторонников {org}; подписи приведены на следующих страницах.',
    other: 'Это письмо подписали {count} сторонника {org}; подписи приведены на следующих страницах.',
  },
  signedInParts: {
    one:
      'Это письмо подписал {count} сторонник {org}; подписи отправлены в {parts} частях по отдельности, ' +
      'в этой части — подписи № {first}–{last} на следующих страницах.',
    few:
      'Это письмо подписали {count} сторонника {org}; ' +
      'подписи отправлены в {parts} частях по отдельности, ' +
      'в этой части — подписи № {first}–{last} на следующих страницах.',
    many:
      'Это письмо подписали {count} сторонников {org}; ' +
      'подписи отправлены в {parts} частях по отдельности, ' +
      'в этой части — подписи № {first}–{last} на следующих страницах.',
    other:
      'Это письмо подписали {count} сторонника {org}; подписи отправлены в {parts} частях по отдельности, ' +
      'в этой части — подписи № {first}–{last} на следующих страницах.',
  },
  original: 'Текст оригинала:',

  emailSubjectPart: '{subject} (часть {part} из {parts})',
  emailAttached: 'Письмо и подписи — в приложенном файле PDF (страниц: {pages}).',
  emailAttachment: 'pismo-chast-{part}-iz-{parts}.pdf',
};
